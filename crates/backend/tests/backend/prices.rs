//! The price catalogue on both databases: seeded with the default table (once), edited,
//! imported all-or-nothing, unknown types answered as unknown (never zero), node prices.
use crate::support::on_both_databases;
use flotilla_backend::{ClusterDirectory, PriceError, Prices, SecretKey};
use flotilla_domain::{PriceEntry, Provider};

fn line(provider: Provider, t: &str, p: f64) -> PriceEntry {
    PriceEntry { provider, instance_type: t.into(), currency: "USD".into(), price_per_hour: p }
}

#[tokio::test]
async fn the_catalogue_is_seeded_edited_imported_and_never_guesses() {
    on_both_databases(|db, kind| async move {
        let prices = Prices::new(db.clone());
        let seeded = prices.seed_defaults().await.unwrap();
        assert_eq!(seeded, flotilla_domain::prices::DEFAULT_PRICES.len(), "{kind}");
        assert_eq!(prices.price_of(Provider::Eks, "m5.xlarge").await.unwrap(), Some(0.192));
        assert_eq!(prices.price_of(Provider::Eks, "no-such-type").await.unwrap(), None, "{kind}: unknown, not zero");
        // An administrator's price survives seeding again.
        prices.import(&[line(Provider::Eks, "m5.xlarge", 0.15)]).await.unwrap();
        assert_eq!(prices.seed_defaults().await.unwrap(), 0);
        assert_eq!(prices.price_of(Provider::Eks, "m5.xlarge").await.unwrap(), Some(0.15), "{kind}");
        // Import is all or nothing.
        let bad = [line(Provider::OnPrem, "rack-a", 0.5), line(Provider::OnPrem, "rack-b", -1.0)];
        assert!(matches!(prices.import(&bad).await, Err(PriceError::Invalid(_))));
        assert_eq!(prices.price_of(Provider::OnPrem, "rack-a").await.unwrap(), None, "{kind}: nothing of a refused import is kept");
        // CSV out and back in.
        let csv = flotilla_domain::prices_csv(&prices.list().await.unwrap());
        prices.remove(Provider::Eks, "m5.xlarge").await.unwrap();
        assert_eq!(prices.price_of(Provider::Eks, "m5.xlarge").await.unwrap(), None);
        prices.import(&flotilla_domain::parse_prices_csv(&csv).unwrap()).await.unwrap();
        assert_eq!(prices.price_of(Provider::Eks, "m5.xlarge").await.unwrap(), Some(0.15), "{kind}");
        // Node prices for on-prem machines.
        let dir = ClusterDirectory::new(db.clone(), SecretKey::generate());
        let c = dir.register(crate::fleet::cluster("onprem"), None).await.unwrap();
        prices.set_node_price(c.id, "metal-01", Some(0.42)).await.unwrap();
        prices.set_node_price(c.id, "metal-01", Some(0.40)).await.unwrap();
        prices.set_node_price(c.id, "metal-02", Some(0.40)).await.unwrap();
        prices.set_node_price(c.id, "metal-02", None).await.unwrap();
        assert_eq!(prices.node_prices(c.id).await.unwrap(), vec![("metal-01".to_owned(), 0.40)], "{kind}");
        dir.remove(c.id).await.unwrap();
        assert!(prices.node_prices(c.id).await.unwrap().is_empty(), "{kind}: node prices go with their cluster");
    })
    .await;
}
