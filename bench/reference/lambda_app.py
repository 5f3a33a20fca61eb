"""The reference app as a Lambda handler (Mangum adapts API Gateway events to
ASGI), started by `python -m awslambdaric lambda_app.handler`."""

from mangum import Mangum

from app import app

handler = Mangum(app, lifespan="off")
