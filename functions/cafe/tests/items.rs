//! The cafe API over HTTP (the real router and layers) against dynalite.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use common::{app, call, create, list_all};
use futures::future::join_all;
use http::{Method, StatusCode};
use serde_json::{Value, json};

fn latte() -> Value {
    json!({"name": "Latte", "description": "Espresso and milk", "price": "3.50", "category": "drinks"})
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn full_life_cycle_of_an_item() {
    let app = app().await;

    // GIVEN a new item
    let reply = call(Method::POST, "/items")
        .auth()
        .json(latte())
        .send(&app)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(reply.header("location"), format!("/items/{id}"));
    assert_eq!(reply.header("etag"), "\"1\"");
    assert_eq!(reply.body["price"], "3.50");
    assert_eq!(reply.body["currency"], "EUR", "the configured default");
    assert_eq!(reply.body["is_offer"], false);
    assert_eq!(reply.body["version"], 1);
    assert_eq!(reply.body["created_at"], reply.body["updated_at"]);

    // WHEN it is read THEN it comes back with its ETag
    let uri = format!("/items/{id}");
    let reply = call(Method::GET, &uri).send(&app).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), "\"1\"");
    assert_eq!(reply.body["name"], "Latte");

    let reply = call(Method::HEAD, &uri).send(&app).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.raw.is_empty());
    assert_eq!(reply.header("etag"), "\"1\"");

    let reply = call(Method::GET, &uri)
        .header("if-none-match", "\"1\"")
        .send(&app)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);

    // Replace it
    let replacement = json!({"name": "Oat latte", "price": 4, "currency": "GBP", "is_offer": true, "category": "drinks"});
    let reply = call(Method::PUT, &uri)
        .auth()
        .json(replacement)
        .send(&app)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["version"], 2);
    assert_eq!(reply.body["price"], "4.00");
    assert_eq!(reply.body["currency"], "GBP");
    assert!(
        reply.body.get("description").is_none(),
        "PUT replaces: no description"
    );
    assert_eq!(reply.header("etag"), "\"2\"");

    // Patch it
    let reply = call(Method::PATCH, &uri)
        .auth()
        .header("if-match", "\"2\"")
        .raw(
            "application/merge-patch+json",
            json!({"price": "4.20", "currency": null}).to_string(),
        )
        .send(&app)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["price"], "4.20");
    assert_eq!(
        reply.body["currency"], "EUR",
        "null removes: back to the default"
    );
    assert_eq!(reply.body["name"], "Oat latte", "untouched fields stay");
    assert_eq!(reply.body["version"], 3);

    // A patch that changes nothing writes nothing
    let reply = call(Method::PATCH, &uri)
        .auth()
        .json(json!({"price": "4.2"}))
        .send(&app)
        .await;
    assert_eq!(reply.body["version"], 3);

    // Delete it
    let reply = call(Method::DELETE, &uri).auth().send(&app).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.raw.is_empty());

    call(Method::GET, &uri).send(&app).await.assert_problem(404);
    call(Method::DELETE, &uri)
        .auth()
        .send(&app)
        .await
        .assert_problem(404);
    call(Method::PATCH, &uri)
        .auth()
        .json(json!({"price": "1"}))
        .send(&app)
        .await
        .assert_problem(404);
    call(Method::PUT, &uri)
        .auth()
        .json(latte())
        .send(&app)
        .await
        .assert_problem(404);
    assert!(list_all(&app, "").await.is_empty());
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn options_and_wrong_methods() {
    let app = app().await;
    let reply = call(Method::OPTIONS, "/items")
        .header("origin", "https://menu.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,idempotency-key",
        )
        .send(&app)
        .await;
    assert!(reply.status.is_success(), "{:?}", reply.status);
    // A write (it announces Authorization) from an origin not in
    // CORS_WRITE_ORIGINS, which is empty by default: not allowed.
    assert_eq!(reply.header("access-control-allow-origin"), "");
    assert!(
        reply
            .header("access-control-allow-methods")
            .contains("PATCH")
    );
    // Without credentials any origin may call (CORS_ALLOWED_ORIGINS is *).
    let reply = call(Method::OPTIONS, "/items")
        .header("origin", "https://menu.example")
        .header("access-control-request-method", "GET")
        .send(&app)
        .await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        "https://menu.example"
    );

    let reply = call(Method::DELETE, "/items").auth().send(&app).await;
    reply.assert_problem(405);
    assert!(reply.header("allow").contains("POST"));
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn stale_if_match_changes_nothing() {
    let app = app().await;
    let id = create(&app, latte()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!("/items/{id}");

    for (method, body) in [
        (Method::PUT, Some(json!({"name": "Mocha", "price": "5"}))),
        (Method::PATCH, Some(json!({"name": "Mocha"}))),
        (Method::DELETE, None),
    ] {
        for stale in ["\"7\"", "W/\"1\"", "garbage"] {
            let mut request = call(method.clone(), &uri).auth().header("if-match", stale);
            if let Some(body) = &body {
                request = request.json(body.clone());
            }
            let reply = request.send(&app).await;
            reply.assert_problem(412);
            assert!(reply.body["detail"].as_str().unwrap().contains("\"1\""));
        }
    }
    let reply = call(Method::GET, &uri).send(&app).await;
    assert_eq!(reply.body["name"], "Latte");
    assert_eq!(reply.body["version"], 1);

    // `*` matches any existing item
    let reply = call(Method::PATCH, &uri)
        .auth()
        .header("if-match", "*")
        .json(json!({"is_offer": true}))
        .send(&app)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = call(Method::DELETE, &uri)
        .auth()
        .header("if-match", "\"2\"")
        .send(&app)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn fifty_concurrent_patches_with_one_etag_exactly_one_wins() {
    let app = app().await;
    let id = create(&app, latte()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!("/items/{id}");

    let replies = join_all((0..50).map(|n| {
        let app = app.clone();
        let uri = uri.clone();
        async move {
            let reply = call(Method::PATCH, &uri)
                .auth()
                .header("if-match", "\"1\"")
                .json(json!({"name": format!("Latte #{n}")}))
                .send(&app)
                .await;
            (n, reply)
        }
    }))
    .await;

    let winners: Vec<_> = replies
        .iter()
        .filter(|(_, r)| r.status == StatusCode::OK)
        .collect();
    let losers = replies
        .iter()
        .filter(|(_, r)| r.status == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!(winners.len(), 1, "exactly one patch succeeds");
    assert_eq!(losers, 49, "all others are 412");

    let stored = call(Method::GET, &uri).send(&app).await.body;
    assert_eq!(stored["version"], 2, "exactly one write happened");
    assert_eq!(stored["name"], format!("Latte #{}", winners[0].0));
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn concurrent_patches_without_if_match_all_apply() {
    // Without If-Match each patch is re-applied on a fresh read until it lands,
    // so none is lost (up to the retry bound, which 5 writers stay within).
    let app = app().await;
    let id = create(&app, latte()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!("/items/{id}");
    let replies = join_all((0..5).map(|n| {
        let app = app.clone();
        let uri = uri.clone();
        async move {
            call(Method::PATCH, &uri)
                .auth()
                .json(json!({"description": format!("note {n}")}))
                .send(&app)
                .await
        }
    }))
    .await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let conflicts = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!(ok + conflicts, 5);
    let stored = call(Method::GET, &uri).send(&app).await.body;
    assert_eq!(
        stored["version"],
        1 + ok as u64,
        "each successful patch is one write"
    );
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn a_retried_create_with_one_idempotency_key_makes_one_item() {
    let app = app().await;
    let send = |app: axum::Router| async move {
        call(Method::POST, "/items")
            .auth()
            .header("idempotency-key", "order-2026-11-29-0001")
            .json(latte())
            .send(&app)
            .await
    };
    // 5 at once, then 5 one after another.
    let mut replies = join_all((0..5).map(|_| send(app.clone()))).await;
    for _ in 0..5 {
        replies.push(send(app.clone()).await);
    }
    let ids: std::collections::BTreeSet<_> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every retry answers with the same item");
    assert!(
        replies
            .iter()
            .filter(|r| r.header("idempotent-replayed") == "true")
            .count()
            >= 9
    );
    assert_eq!(list_all(&app, "").await.len(), 1, "exactly one item exists");

    // The same key with another body is refused, and creates nothing.
    let reply = call(Method::POST, "/items")
        .auth()
        .header("idempotency-key", "order-2026-11-29-0001")
        .json(json!({"name": "Tea", "price": "2"}))
        .send(&app)
        .await;
    reply.assert_problem(422);
    assert_eq!(reply.locs(), vec![json!(["header", "idempotency-key"])]);

    // Once the item is deleted, the key does not bring it back.
    let id = ids.into_iter().next().unwrap();
    call(Method::DELETE, &format!("/items/{id}"))
        .auth()
        .send(&app)
        .await;
    send(app.clone()).await.assert_problem(409);
    assert!(list_all(&app, "").await.is_empty());
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn pagination_with_and_without_filters() {
    let app = app().await;
    let mut created = Vec::new();
    for n in 0..23 {
        let category = if n % 3 == 0 { "food" } else { "drinks" };
        let body = json!({"name": format!("Item {n:02}"), "price": format!("{n}.25"), "category": category, "is_offer": n % 2 == 0});
        created.push(create(&app, body).await["id"].as_str().unwrap().to_owned());
    }

    // Pages of 10, 10, 3, in creation order, the last without a cursor.
    let first = call(Method::GET, "/items?limit=10").send(&app).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 10);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = call(Method::GET, &format!("/items?limit=10&cursor={cursor}"))
        .send(&app)
        .await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 10);
    let cursor = second.body["next_cursor"].as_str().unwrap();
    let third = call(Method::GET, &format!("/items?limit=10&cursor={cursor}"))
        .send(&app)
        .await;
    assert_eq!(third.body["items"].as_array().unwrap().len(), 3);
    assert!(third.body["next_cursor"].is_null());

    let all: Vec<String> = list_all(&app, "limit=7")
        .await
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all, created, "every item once, in creation order");

    // Default page size is 20.
    let reply = call(Method::GET, "/items").send(&app).await;
    assert_eq!(reply.body["items"].as_array().unwrap().len(), 20);

    // Filters, across pages.
    let food = list_all(&app, "category=food&limit=2").await;
    assert_eq!(food.len(), 8);
    assert!(food.iter().all(|i| i["category"] == "food"));
    let offers = list_all(&app, "is_offer=true&limit=4").await;
    assert_eq!(offers.len(), 12);
    assert!(offers.iter().all(|i| i["is_offer"] == true));
    let drink_offers = list_all(&app, "category=drinks&is_offer=false&limit=3").await;
    assert_eq!(drink_offers.len(), 7);
    assert!(
        drink_offers
            .iter()
            .all(|i| i["category"] == "drinks" && i["is_offer"] == false)
    );
    assert!(list_all(&app, "category=desserts").await.is_empty());
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn a_page_ending_on_the_last_item_has_no_cursor_and_a_cursor_past_the_end_is_an_empty_page() {
    let app = app().await;
    for n in 0..4 {
        create(&app, json!({"name": format!("Item {n}"), "price": "1"})).await;
    }
    let first = call(Method::GET, "/items?limit=2").send(&app).await;
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let last = call(Method::GET, &format!("/items?limit=2&cursor={cursor}"))
        .send(&app)
        .await;
    assert_eq!(last.body["items"].as_array().unwrap().len(), 2);
    assert!(
        last.body["next_cursor"].is_null(),
        "exact multiple: no dangling cursor"
    );

    // A cursor for the last item (e.g. saved before nothing more was added).
    let last_id = last.body["items"][1]["id"].as_str().unwrap();
    let cursor = base64_cursor(last_id);
    let empty = call(Method::GET, &format!("/items?limit=2&cursor={cursor}"))
        .send(&app)
        .await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["items"], json!([]));
    assert!(empty.body["next_cursor"].is_null());
}

fn base64_cursor(id: &str) -> String {
    // The cursor format is opaque to clients; the test knows it to build the edge case.
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("after:{id}"))
}
