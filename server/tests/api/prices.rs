//! The price catalogue through the REST API: administrators edit and import it (all or
//! nothing, every bad line named), developers read it, CSV export round-trips.
use crate::support::TestPortal;
use axum::http::Method;

#[tokio::test]
async fn administrators_keep_the_price_catalogue_and_everyone_else_reads_it() {
    let portal = TestPortal::start().await;
    portal.state.prices.seed_defaults().await.unwrap();
    let (alice, bob) = (portal.session("alice").await, portal.session("bob").await);
    let listed = portal.get("/api/v1/prices", Some(&bob)).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(listed.json().as_array().unwrap().iter().any(|p| p["instance_type"] == "m5.xlarge"));
    let line = r#"{"provider":"on-prem","instance_type":"rack-a","currency":"JPY","price_per_hour":42.5}"#;
    assert_eq!(portal.send(Method::PUT, "/api/v1/prices", Some(&bob), "application/json", line).await.status, 403, "developers do not set prices");
    assert_eq!(portal.send(Method::PUT, "/api/v1/prices", Some(&alice), "application/json", line).await.status, 204);
    let negative = r#"{"provider":"eks","instance_type":"m5.xlarge","currency":"USD","price_per_hour":-1}"#;
    let refused = portal.send(Method::PUT, "/api/v1/prices", Some(&alice), "application/json", negative).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    // Import: all or nothing, each bad line named.
    let bad = serde_json::json!({ "csv": "eks,x1.test,USD,0.5\ngke,,USD,1\n" }).to_string();
    let answer = portal.send(Method::POST, "/api/v1/prices/import", Some(&alice), "application/json", &bad).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("line 2") && answer.body.contains("Nothing was imported"), "{}", answer.body);
    let good = serde_json::json!({ "csv": "provider,instance_type,currency,price_per_hour\neks,x1.test,USD,0.5\n" }).to_string();
    assert_eq!(portal.send(Method::POST, "/api/v1/prices/import", Some(&alice), "application/json", &good).await.body, "1");
    // CSV export carries every line, including the ones just saved.
    let csv = portal.get("/api/v1/prices?format=csv", Some(&bob)).await.body;
    assert!(csv.starts_with("provider,instance_type,currency,price_per_hour\r\n"), "{csv}");
    assert!(csv.contains("on-prem,rack-a,JPY,42.5") && csv.contains("eks,x1.test,USD,0.5"), "{csv}");
    assert_eq!(portal.send(Method::DELETE, "/api/v1/prices?provider=eks&instance_type=x1.test", Some(&alice), "", "").await.status, 204);
    assert!(!portal.get("/api/v1/prices?format=csv", Some(&bob)).await.body.contains("x1.test"));
    let audit = portal.get("/api/v1/audit?action=prices", Some(&alice)).await.body;
    assert!(audit.contains("prices.save") && audit.contains("prices.import") && audit.contains("prices.remove"), "{audit}");
}
