//! Every validation rule, each with its own case; auth on every write route;
//! DynamoDB outages. Nothing invalid is ever stored, and nothing answers 5xx
//! except an outage (503).

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use common::{app, app_on, call, create, list_all};
use http::{Method, StatusCode};
use serde_json::{Value, json};

fn valid() -> Value {
    json!({"name": "Flat white", "price": "3.20"})
}

fn with(field: &str, value: Value) -> Value {
    let mut body = valid();
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = valid();
    body.as_object_mut().unwrap().remove(field);
    body
}

/// Each case: a body, and the `loc` and `type` the 422 must name.
fn invalid_bodies() -> Vec<(&'static str, Value, Value, &'static str)> {
    vec![
        (
            "name missing",
            without("name"),
            json!(["body", "name"]),
            "missing",
        ),
        (
            "name empty",
            with("name", json!("")),
            json!(["body", "name"]),
            "value_error",
        ),
        (
            "name only spaces",
            with("name", json!("   ")),
            json!(["body", "name"]),
            "value_error",
        ),
        (
            "name too long",
            with("name", json!("x".repeat(51))),
            json!(["body", "name"]),
            "value_error",
        ),
        (
            "name control char",
            with("name", json!("Tea\u{7}")),
            json!(["body", "name"]),
            "value_error",
        ),
        (
            "name not a string",
            with("name", json!(5)),
            json!(["body", "name"]),
            "type_error",
        ),
        (
            "description too long",
            with("description", json!("d".repeat(501))),
            json!(["body", "description"]),
            "value_error",
        ),
        (
            "price missing",
            without("price"),
            json!(["body", "price"]),
            "missing",
        ),
        (
            "price negative",
            with("price", json!("-1.00")),
            json!(["body", "price"]),
            "value_error",
        ),
        (
            "price negative number",
            with("price", json!(-1)),
            json!(["body", "price"]),
            "value_error",
        ),
        (
            "price three decimals",
            with("price", json!("1.005")),
            json!(["body", "price"]),
            "value_error",
        ),
        (
            "price three decimals number",
            with("price", json!(1.005)),
            json!(["body", "price"]),
            "value_error",
        ),
        (
            "price too large",
            with("price", json!("1000000")),
            json!(["body", "price"]),
            "value_error",
        ),
        (
            "price not a number",
            with("price", json!("cheap")),
            json!(["body", "price"]),
            "value_error",
        ),
        (
            "price exponent",
            with("price", json!("1e2")),
            json!(["body", "price"]),
            "value_error",
        ),
        (
            "price bool",
            with("price", json!(true)),
            json!(["body", "price"]),
            "type_error",
        ),
        (
            "currency lower case",
            with("currency", json!("eur")),
            json!(["body", "currency"]),
            "value_error",
        ),
        (
            "currency unknown",
            with("currency", json!("ABC")),
            json!(["body", "currency"]),
            "value_error",
        ),
        (
            "is_offer not bool",
            with("is_offer", json!("yes")),
            json!(["body", "is_offer"]),
            "type_error",
        ),
        (
            "category upper case",
            with("category", json!("Drinks")),
            json!(["body", "category"]),
            "value_error",
        ),
        (
            "category spaces",
            with("category", json!("hot food")),
            json!(["body", "category"]),
            "value_error",
        ),
        (
            "category too long",
            with("category", json!("a".repeat(33))),
            json!(["body", "category"]),
            "value_error",
        ),
        (
            "unknown field",
            with("colour", json!("red")),
            json!(["body", "colour"]),
            "extra_forbidden",
        ),
        (
            "server field id",
            with("id", json!("01J00000000000000000000000")),
            json!(["body", "id"]),
            "extra_forbidden",
        ),
        (
            "server field version",
            with("version", json!(3)),
            json!(["body", "version"]),
            "extra_forbidden",
        ),
        (
            "not an object",
            json!(["Flat white", "3.20"]),
            json!(["body"]),
            "type_error",
        ),
    ]
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn every_invalid_create_body_is_a_422_at_the_right_loc_and_stores_nothing() {
    let app = app().await;
    for (case, body, loc, kind) in invalid_bodies() {
        let reply = call(Method::POST, "/items")
            .auth()
            .json(body)
            .send(&app)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.locs(), vec![loc.clone()], "{case}: {}", reply.body);
        assert_eq!(
            reply.body["errors"][0]["type"], kind,
            "{case}: {}",
            reply.body
        );
        assert!(
            !reply.body["errors"][0]["msg"].as_str().unwrap().is_empty(),
            "{case}"
        );
    }
    assert!(list_all(&app, "").await.is_empty(), "nothing was stored");
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn several_bad_values_are_all_reported() {
    let app = app().await;
    let body = json!({"name": "", "description": "d".repeat(501), "price": "1"});
    let reply = call(Method::POST, "/items")
        .auth()
        .json(body)
        .send(&app)
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.locs().len(), 2, "{}", reply.body);
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn invalid_replace_and_patch_bodies_change_nothing() {
    let app = app().await;
    let item = create(&app, valid()).await;
    let uri = format!("/items/{}", item["id"].as_str().unwrap());
    for (case, body, loc, _) in invalid_bodies() {
        let reply = call(Method::PUT, &uri).auth().json(body).send(&app).await;
        reply.assert_problem(422);
        assert_eq!(reply.locs(), vec![loc], "PUT {case}");
    }
    for (case, patch, loc) in [
        ("null name", json!({"name": null}), json!(["body", "name"])),
        (
            "null price",
            json!({"price": null}),
            json!(["body", "price"]),
        ),
        (
            "bad price",
            json!({"price": "1.001"}),
            json!(["body", "price"]),
        ),
        (
            "unknown field",
            json!({"colour": "red"}),
            json!(["body", "colour"]),
        ),
        (
            "null for an unknown field",
            json!({"colour": null, "is_offer": true}),
            json!(["body", "colour"]),
        ),
        ("empty key", json!({"": null}), json!(["body", ""])),
        (
            "server field",
            json!({"created_at": "2020-01-01T00:00:00Z"}),
            json!(["body", "created_at"]),
        ),
        ("not an object", json!("Mocha"), json!(["body"])),
    ] {
        let reply = call(Method::PATCH, &uri)
            .auth()
            .json(patch)
            .send(&app)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.locs(), vec![loc], "PATCH {case}: {}", reply.body);
    }
    let reply = call(Method::PATCH, &uri)
        .auth()
        .raw(
            "application/merge-patch+json",
            r#"{"price": "1.00", "price": "9.00"}"#,
        )
        .send(&app)
        .await;
    reply.assert_problem(422);
    assert_eq!(
        reply.locs(),
        vec![json!(["body", "price"])],
        "PATCH duplicate member"
    );
    let stored = call(Method::GET, &uri).send(&app).await.body;
    assert_eq!(stored, item, "the item is unchanged");
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn malformed_requests() {
    let app = app().await;
    let reply = call(Method::POST, "/items")
        .auth()
        .raw("application/json", "{\"name\": ")
        .send(&app)
        .await;
    reply.assert_problem(400);
    let reply = call(Method::POST, "/items")
        .auth()
        .raw("text/plain", "name=tea")
        .send(&app)
        .await;
    reply.assert_problem(415);
    let reply = call(Method::POST, "/items")
        .auth()
        .raw("application/json", vec![0xff, 0xfe, 0x00])
        .send(&app)
        .await;
    reply.assert_problem(400);
    let big = json!({"name": "x", "price": "1", "description": "d".repeat(2 * 1024 * 1024)});
    let reply = call(Method::POST, "/items")
        .auth()
        .json(big)
        .send(&app)
        .await;
    reply.assert_problem(413);

    // Ids: malformed is 422 at path.id; well-formed but absent is 404.
    for bad in [
        "123",
        "not-an-id",
        "01j00000000000000000000000",
        &"Z".repeat(27),
    ] {
        let reply = call(Method::GET, &format!("/items/{bad}")).send(&app).await;
        reply.assert_problem(422);
        assert_eq!(reply.locs(), vec![json!(["path", "id"])], "{bad}");
    }
    call(Method::GET, "/items/01J00000000000000000000000")
        .send(&app)
        .await
        .assert_problem(404);

    // Query parameters.
    for (query, loc) in [
        ("limit=0", json!(["query", "limit"])),
        ("limit=101", json!(["query", "limit"])),
        ("limit=ten", json!(["query", "limit"])),
        ("is_offer=maybe", json!(["query", "is_offer"])),
        ("category=Hot%20Food", json!(["query", "category"])),
        ("cursor=bogus", json!(["query", "cursor"])),
        ("sort=name", json!(["query", "sort"])),
    ] {
        let reply = call(Method::GET, &format!("/items?{query}"))
            .send(&app)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.locs(), vec![loc], "{query}: {}", reply.body);
    }

    // Headers.
    let reply = call(Method::POST, "/items")
        .auth()
        .header("idempotency-key", &"k".repeat(256))
        .json(valid())
        .send(&app)
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.locs(), vec![json!(["header", "idempotency-key"])]);
    assert!(list_all(&app, "").await.is_empty());
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn write_routes_need_the_token_and_reads_do_not() {
    let app = app().await;
    let item = create(&app, valid()).await;
    let uri = format!("/items/{}", item["id"].as_str().unwrap());
    let writes = [
        (Method::POST, "/items".to_owned(), Some(valid())),
        (Method::PUT, uri.clone(), Some(valid())),
        (Method::PATCH, uri.clone(), Some(json!({"price": "9"}))),
        (Method::DELETE, uri.clone(), None),
    ];
    for (method, path, body) in &writes {
        for (auth, status) in [
            (None, 401),
            (Some("Bearer wrong-token-0123456789"), 403),
            (Some("Basic dXNlcjpwYXNz"), 401),
        ] {
            let mut request = call(method.clone(), path);
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            if let Some(body) = body {
                request = request.json(body.clone());
            }
            let reply = request.send(&app).await;
            reply.assert_problem(status);
            assert!(
                reply.header("www-authenticate").starts_with("Bearer"),
                "{method} {path}"
            );
        }
    }
    // Unauthenticated requests learn nothing about the body either.
    let reply = call(Method::POST, "/items")
        .json(json!({"bad": true}))
        .send(&app)
        .await;
    reply.assert_problem(401);

    assert_eq!(list_all(&app, "").await.len(), 1, "nothing was created");
    assert_eq!(
        call(Method::GET, &uri).send(&app).await.body,
        item,
        "nothing was changed"
    );
    assert_eq!(
        call(Method::GET, "/items").send(&app).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_with_retry_after() {
    // Nothing listens on port 9 of loopback: every call fails to connect.
    let app = app_on("http://127.0.0.1:9").await;
    let started = std::time::Instant::now();
    for request in [
        call(Method::GET, "/items"),
        call(Method::GET, "/items/01J00000000000000000000000"),
        call(Method::POST, "/items").auth().json(valid()),
        call(Method::DELETE, "/items/01J00000000000000000000000").auth(),
    ] {
        let reply = request.send(&app).await;
        reply.assert_problem(503);
        assert_eq!(reply.header("retry-after"), "1");
        assert!(
            !reply.body.to_string().contains("127.0.0.1"),
            "no internals: {}",
            reply.body
        );
    }
    // Bounded: 4 requests, each within the client's operation timeout.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[tokio::test]
async fn table_definition_matches_template() {
    let template = std::fs::read_to_string(common::repo_root().join("template.yaml")).unwrap();
    let template: Value = serde_norway::from_str(&template).unwrap();
    let table = &template["Resources"]["CafeTable"]["Properties"];
    let spec = cafe::store::table_spec();

    let mut attributes: Vec<String> = table["AttributeDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["AttributeType"], "S");
            a["AttributeName"].as_str().unwrap().to_owned()
        })
        .collect();
    attributes.sort();
    let mut expected: Vec<String> = spec.attributes.iter().map(|a| (*a).to_owned()).collect();
    expected.sort();
    assert_eq!(attributes, expected);
    assert_eq!(
        table["KeySchema"],
        json!([{"AttributeName": spec.hash_key, "KeyType": "HASH"}])
    );
    let indexes: Vec<(String, String, String)> = table["GlobalSecondaryIndexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|index| {
            assert_eq!(index["Projection"]["ProjectionType"], "ALL");
            (
                index["IndexName"].as_str().unwrap().to_owned(),
                index["KeySchema"][0]["AttributeName"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                index["KeySchema"][1]["AttributeName"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = spec
        .indexes
        .iter()
        .map(|(n, h, r)| ((*n).into(), (*h).into(), (*r).into()))
        .collect();
    assert_eq!(indexes, expected);
}
