//! Registering and listing clusters.
use crate::support::on_both_databases;
use flotilla_backend::{ClusterDirectory, FleetError, NewCluster};
use flotilla_domain::{Dns1123Label, Provider};

fn cluster(name: &str) -> NewCluster {
    NewCluster {
        name: Dns1123Label::parse(name).unwrap(),
        display_name: name.to_uppercase(),
        provider: Provider::Eks,
        region: "ap-northeast-1".into(),
        environment: "production".into(),
    }
}

#[tokio::test]
async fn clusters_are_listed_by_name_and_duplicates_refused() {
    on_both_databases(|db, kind| async move {
        let dir = ClusterDirectory::new(db);
        assert!(dir.list().await.unwrap().is_empty(), "{kind}: a new portal has no clusters");
        dir.register(cluster("tokyo-prod")).await.unwrap();
        dir.register(cluster("osaka-prod")).await.unwrap();
        let names: Vec<_> = dir.list().await.unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["osaka-prod", "tokyo-prod"], "{kind}");
        let err = dir.register(cluster("tokyo-prod")).await.unwrap_err();
        assert!(matches!(err, FleetError::Duplicate(ref n) if n == "tokyo-prod"), "{kind}: {err}");
        assert_eq!(dir.list().await.unwrap().len(), 2, "{kind}: the duplicate left nothing behind");
        let listed = &dir.list().await.unwrap()[1];
        assert_eq!(listed.provider, Provider::Eks);
        assert_eq!(listed.region, "ap-northeast-1");
        assert!(listed.enabled);
    })
    .await;
}
