//! Unit and property tests of the placement decision.
use super::*;
use proptest::prelude::*;

const MI: u64 = 1 << 20;
const GI: u64 = 1 << 30;

fn node(cpu_m: u64, mem_mi: u64, pods: u32) -> NodeFree {
    NodeFree { name: format!("n-{cpu_m}-{mem_mi}"), cpu_m, mem_b: mem_mi * MI, pods, gpu: 0, refuses: None, avoid: false }
}

/// A reachable cluster whose nodes each have 4 cores and 8 GiB allocatable.
fn cluster(id: i64, name: &str, nodes: Vec<NodeFree>) -> ClusterCapacity {
    let count = nodes.len() as u64;
    ClusterCapacity {
        id,
        name: name.to_owned(),
        available: true,
        unavailable_reason: None,
        nodes,
        allocatable: Resources { cpu_m: 4000 * count, mem_b: 8 * GI * count, gpu: 0 },
        allocatable_pods: 110 * count as u32,
        quota_free: None,
        prices: None,
    }
}

fn demand(cpu_m: u64, mem_mi: u64, replicas: u32) -> Demand {
    Demand { per_replica: Resources { cpu_m, mem_b: mem_mi * MI, gpu: 0 }, replicas }
}

fn reason_of(c: ClusterCapacity, d: Demand) -> String {
    let p = place(&PlacementRule::LeastLoaded, &d, &[c]);
    p.candidates[0].reason.clone().expect("the cluster should not fit")
}

#[test]
fn fit_is_counted_per_node() {
    let c = cluster(1, "a", vec![node(1000, 1024, 10), node(1000, 4096, 2), node(100, 4096, 10)]);
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 3), &[c]);
    let a = &p.candidates[0];
    assert_eq!(a.replicas_fitting, 4 + 2, "CPU limits the first node, pods the second, the third takes none");
    assert!(a.fits);
    assert_eq!(a.free_before, Resources { cpu_m: 2100, mem_b: 9216 * MI, gpu: 0 });
    assert_eq!(a.free_after, Resources { cpu_m: 1350, mem_b: (9216 - 768) * MI, gpu: 0 });
    let mut gpu_node = node(8000, 16384, 10);
    gpu_node.gpu = 3;
    let with_gpu = Demand { per_replica: Resources { cpu_m: 100, mem_b: MI, gpu: 2 }, replicas: 1 };
    assert_eq!(place(&PlacementRule::Spread, &with_gpu, &[cluster(1, "g", vec![gpu_node])]).candidates[0].replicas_fitting, 1);
}

/// Cordoned, not-Ready and tainted nodes add no room, and the refusal names them, the taint
/// with its key, value and effect (what kube-scheduler would answer after the deploy).
#[test]
fn nodes_that_refuse_new_pods_add_no_room_and_are_named() {
    let refusing = |why: &str| NodeFree { refuses: Some(why.to_owned()), ..node(4000, 8192, 110) };
    let taint = "tainted node-role.kubernetes.io/control-plane:NoSchedule";
    let all_tainted = cluster(1, "a", vec![refusing(taint), refusing(taint), refusing("cordoned")]);
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 1), &[all_tainted]);
    assert!(!p.candidates[0].fits);
    assert_eq!(p.candidates[0].replicas_fitting, 0);
    assert_eq!(p.candidates[0].free_before, Resources::default(), "a refusing node's room is no room");
    assert_eq!(p.candidates[0].reason.as_deref(), Some(format!("none of its nodes accepts new pods (2 {taint}, 1 cordoned)").as_str()));
    assert!(p.error.as_deref().is_some_and(|e| e.contains(taint)), "{p:?}");

    // Some room elsewhere, not enough: the shortfall and the refusing nodes are both named.
    let mixed = cluster(1, "a", vec![node(600, 8192, 110), refusing("not Ready")]);
    assert_eq!(reason_of(mixed.clone(), demand(250, 256, 3)), "only 2 of 3 replicas fit on its nodes (CPU runs out first); the other nodes accept no new pods (1 not Ready)");
    assert_eq!(reason_of(mixed, demand(1000, 256, 1)), "not enough CPU on any node (largest free: 600m, needs 1); the other nodes accept no new pods (1 not Ready)");
}

/// PreferNoSchedule: the node's room makes a workload fit, but a cluster whose room is on
/// avoided nodes scores below one with the same room on ordinary nodes.
#[test]
fn prefer_no_schedule_room_fits_but_scores_lower() {
    let avoided = cluster(1, "a", vec![NodeFree { avoid: true, ..node(4000, 8192, 110) }]);
    let plain = cluster(2, "b", vec![node(4000, 8192, 110)]);
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 2), &[avoided.clone(), plain]);
    assert!(p.candidates[0].fits, "{p:?}");
    assert_eq!(p.assignments, vec![(2, 2)]);
    let alone = place(&PlacementRule::LeastLoaded, &demand(250, 256, 2), &[avoided]);
    assert_eq!(alone.assignments, vec![(1, 2)], "used when nothing else fits");
}

#[test]
fn reasons_name_the_resource_that_runs_out() {
    let d = demand(250, 256, 3);
    assert_eq!(reason_of(cluster(1, "a", vec![node(180, 4096, 10), node(100, 4096, 10)]), d), "not enough CPU on any node (largest free: 180m, needs 250m)");
    assert_eq!(reason_of(cluster(1, "a", vec![node(4000, 200, 10)]), d), "not enough memory on any node (largest free: 200 MiB, needs 256 MiB)");
    assert_eq!(reason_of(cluster(1, "a", vec![node(4000, 4096, 0)]), d), "every node is at its pod limit");
    assert_eq!(reason_of(cluster(1, "a", vec![node(4000, 100, 5), node(100, 4096, 5)]), d), "no single node has 250m CPU and 256 MiB memory free at once");
    assert_eq!(reason_of(cluster(1, "a", vec![node(500, 4096, 10)]), d), "only 2 of 3 replicas fit on its nodes (CPU runs out first)");
    assert_eq!(reason_of(cluster(1, "a", vec![node(4000, 600, 10)]), d), "only 2 of 3 replicas fit on its nodes (memory runs out first)");
    assert_eq!(reason_of(cluster(1, "a", vec![]), d), "the cluster has no nodes to run pods on");
    let gpu = Demand { per_replica: Resources { gpu: 1, ..d.per_replica }, replicas: 1 };
    assert_eq!(reason_of(cluster(1, "a", vec![node(4000, 4096, 10)]), gpu), "not enough GPUs on any node (largest free: 0, needs 1)");
}

#[test]
fn quota_caps_what_fits_and_says_so() {
    let mut c = cluster(1, "a", vec![node(4000, 4096, 10)]);
    c.quota_free = Some(QuotaFree { cpu_m: None, mem_b: None, pods: Some(2), gpus: None });
    assert_eq!(reason_of(c.clone(), demand(250, 256, 3)), "the project's quota allows 2 more pods, needs 3");
    c.quota_free = Some(QuotaFree { cpu_m: Some(500), mem_b: Some(8 * GI), pods: None, gpus: None });
    assert_eq!(reason_of(c.clone(), demand(250, 256, 3)), "the project's CPU quota has 500m left, needs 750m (3 × 250m)");
    c.quota_free = Some(QuotaFree { cpu_m: None, mem_b: Some(512 * MI), pods: None, gpus: None });
    assert_eq!(reason_of(c.clone(), demand(250, 256, 3)), "the project's memory quota has 512 MiB left, needs 768 MiB (3 × 256 MiB)");
    c.quota_free = Some(QuotaFree { cpu_m: Some(1000), mem_b: None, pods: Some(50), gpus: None });
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 3), &[c]);
    assert_eq!((p.candidates[0].replicas_fitting, p.candidates[0].fits), (4, true));
    // GPUs are part of the quota: nodes with free GPUs do not help a project without GPU quota.
    let mut g = cluster(1, "a", vec![NodeFree { gpu: 8, ..node(4000, 4096, 10) }]);
    g.quota_free = Some(QuotaFree { cpu_m: Some(4000), mem_b: None, pods: Some(50), gpus: Some(1) });
    let two_gpus = Demand { per_replica: Resources { gpu: 1, ..demand(250, 256, 2).per_replica }, replicas: 2 };
    assert_eq!(reason_of(g.clone(), two_gpus), "the project's GPU quota has 1 left, needs 2 (2 × 1)");
    g.quota_free = Some(QuotaFree { gpus: Some(0), ..g.quota_free.unwrap() });
    assert_eq!(reason_of(g.clone(), Demand { replicas: 1, ..two_gpus }), "the project's GPU quota has 0 left, needs 1 (1 × 1)");
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 3), &[g]);
    assert!(p.candidates[0].fits, "a workload without GPUs is not limited by the GPU quota");
}

#[test]
fn an_unavailable_cluster_says_why_and_is_never_chosen() {
    let mut down = cluster(1, "tokyo-1", vec![node(4000, 8192, 100)]);
    down.available = false;
    down.unavailable_reason = Some("unreachable since 10:42".into());
    let up = cluster(2, "osaka", vec![node(1000, 1024, 10)]);
    for rule in [PlacementRule::LeastLoaded, PlacementRule::Spread] {
        let p = place(&rule, &demand(250, 256, 2), &[down.clone(), up.clone()]);
        assert_eq!(p.assignments, [(2, 2)], "{rule:?}");
        assert_eq!((p.candidates[0].replicas_fitting, p.candidates[0].reason.as_deref()), (0, Some("unreachable since 10:42")));
    }
    let p = place(&PlacementRule::Clusters(vec![1]), &demand(250, 256, 2), &[down, up]);
    assert_eq!(p.error.as_deref(), Some("tokyo-1 cannot take 2 replicas: unreachable since 10:42"));
}

#[test]
fn least_loaded_picks_the_most_headroom_after_placement() {
    let busy = cluster(1, "busy", vec![node(1000, 2048, 10)]);
    let roomy = cluster(2, "tokyo-dev", vec![node(2000, 6144, 10)]);
    let tiny = cluster(3, "tiny", vec![node(300, 8192, 10)]);
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 2), &[busy, roomy, tiny]);
    assert_eq!(p.assignments, [(2, 2)]);
    assert_eq!(p.error, None);
    // tokyo-dev: 1500m of 4000m CPU and 5632 MiB of 8192 MiB free after.
    assert_eq!(p.summary, "tokyo-dev: least loaded after placement (CPU 38 % free, memory 69 % free)");
    let scores: Vec<f64> = p.candidates.iter().map(|c| c.score).collect();
    assert_eq!(scores, [500.0 / 4000.0, 1500.0 / 4000.0, 0.0]);
    assert_eq!(p.candidates.iter().map(|c| c.chosen_replicas).collect::<Vec<_>>(), [0, 2, 0]);
    assert_eq!(p.candidates[2].reason.as_deref(), Some("only 1 of 2 replicas fit on its nodes (CPU runs out first)"));
}

#[test]
fn least_loaded_ties_go_to_more_cpu_then_the_lower_id() {
    let same = |id| cluster(id, "c", vec![node(2000, 2048, 10)]);
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 1), &[same(9), same(4), same(7)]);
    assert_eq!(p.assignments, [(4, 1)]);
    // Same memory headroom (the minimum), more CPU free: 5 wins although its id is higher.
    let more_cpu = cluster(5, "cpu", vec![node(3000, 2048, 10)]);
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 1), &[same(4), more_cpu]);
    assert_eq!(p.assignments, [(5, 1)]);
}

#[test]
fn least_loaded_without_room_names_the_closest_cluster() {
    let a = cluster(1, "a", vec![node(100, 1024, 10)]);
    let b = cluster(2, "b", vec![node(500, 1024, 10)]);
    let p = place(&PlacementRule::LeastLoaded, &demand(250, 256, 3), &[a, b]);
    assert!(p.assignments.is_empty());
    assert_eq!(p.error.as_deref(), Some("no cluster has room for 3 replicas; the closest, b: only 2 of 3 replicas fit on its nodes (CPU runs out first)"));
    assert!(p.summary.starts_with("nothing placed: no cluster has room"));
    assert_eq!(place(&PlacementRule::LeastLoaded, &demand(250, 256, 3), &[]).error.as_deref(), Some("no clusters are registered"));
}

#[test]
fn chosen_clusters_get_the_full_count_or_nothing() {
    let a = cluster(1, "tokyo", vec![node(2000, 4096, 10)]);
    let b = cluster(2, "osaka", vec![node(2000, 4096, 10)]);
    let small = cluster(3, "small", vec![node(200, 4096, 10)]);
    let all = [a, b, small];
    let p = place(&PlacementRule::Clusters(vec![2, 1, 2]), &demand(250, 256, 3), &all);
    assert_eq!(p.assignments, [(1, 3), (2, 3)]);
    assert_eq!(p.summary, "3 replicas on each of tokyo and osaka, as chosen");
    assert_eq!(p.candidates.iter().map(|c| c.chosen_replicas).collect::<Vec<_>>(), [3, 3, 0]);
    let p = place(&PlacementRule::Clusters(vec![1, 3, 42]), &demand(250, 256, 3), &all);
    assert!(p.assignments.is_empty());
    assert!(p.candidates.iter().all(|c| c.chosen_replicas == 0));
    assert_eq!(
        p.error.as_deref(),
        Some(
            "small cannot take 3 replicas: not enough CPU on any node (largest free: 200m, needs 250m); \
             cluster 42 is not registered (it may have been removed); choose again"
        )
    );
    assert_eq!(place(&PlacementRule::Clusters(vec![]), &demand(1, 1, 1), &all).error.as_deref(), Some("choose at least one cluster"));
    assert_eq!(place(&PlacementRule::Clusters(vec![3]), &demand(100, 1, 1), &all).summary, "1 replica on small, as chosen");
}

#[test]
fn spread_follows_room_with_largest_remainders() {
    let a = cluster(1, "a", vec![node(1500, 8192, 10)]); // 6 fit
    let b = cluster(2, "b", vec![node(750, 8192, 10)]); // 3 fit
    let p = place(&PlacementRule::Spread, &demand(250, 256, 3), &[b.clone(), a.clone()]);
    assert_eq!(p.assignments, [(1, 2), (2, 1)]);
    assert_eq!(p.summary, "3 replicas spread over 2 clusters by free room: a 2, b 1");
    assert_eq!(p.candidates.iter().map(|c| c.score).collect::<Vec<_>>(), [3.0 / 9.0, 6.0 / 9.0]);
    // Equal room: the leftover replica goes to the lower id.
    let twin = cluster(7, "twin", vec![node(1500, 8192, 10)]);
    assert_eq!(place(&PlacementRule::Spread, &demand(250, 256, 3), &[twin, a.clone()]).assignments, [(1, 2), (7, 1)]);
    // A cluster with a sliver of room gets nothing rather than more than its share.
    let sliver = cluster(3, "sliver", vec![node(250, 8192, 10)]);
    let big = cluster(4, "big", vec![node(25_000, 81_920, 110)]);
    assert_eq!(place(&PlacementRule::Spread, &demand(250, 256, 3), &[sliver, big]).assignments, [(4, 3)]);
}

#[test]
fn spread_needs_room_for_every_replica_somewhere() {
    let a = cluster(1, "a", vec![node(500, 8192, 10)]);
    let b = cluster(2, "b", vec![node(200, 8192, 10)]);
    let p = place(&PlacementRule::Spread, &demand(250, 256, 3), &[a.clone(), b.clone()]);
    assert_eq!(
        p.error.as_deref(),
        Some(
            "only 2 of 3 replicas fit across all clusters; a: only 2 of 3 replicas fit on its nodes (CPU runs out first); \
             b: not enough CPU on any node (largest free: 200m, needs 250m)"
        )
    );
    let p = place(&PlacementRule::Spread, &demand(250, 256, 2), &[a, b]);
    assert_eq!((p.assignments, p.error), (vec![(1, 2)], None));
}

#[test]
fn zero_replicas_place_nothing_without_error() {
    let p = place(&PlacementRule::Spread, &demand(250, 256, 0), &[cluster(1, "a", vec![node(1000, 1024, 1)])]);
    assert!(p.assignments.is_empty() && p.error.is_none());
}

// ---- properties ----

fn arb_cluster() -> impl Strategy<Value = ClusterCapacity> {
    let arb_node = (0u64..4000, 0u64..8192, 0u32..12, 0u32..3).prop_map(|(cpu, mem, pods, gpu)| NodeFree { gpu, ..node(cpu, mem, pods) });
    let arb_quota = proptest::option::of((proptest::option::of(0u64..8000), proptest::option::of(0u64..16 * GI), proptest::option::of(0u32..20)));
    (proptest::collection::vec(arb_node, 0..6), prop::bool::weighted(0.85), arb_quota).prop_map(|(nodes, available, quota)| {
        let mut c = cluster(0, "c", nodes);
        c.available = available;
        c.quota_free = quota.map(|(cpu_m, mem_b, pods)| QuotaFree { cpu_m, mem_b, pods, gpus: None });
        c
    })
}

/// Clusters with distinct ids, the same clusters shuffled, a demand and a rule.
fn arb_case() -> impl Strategy<Value = (Vec<ClusterCapacity>, Vec<ClusterCapacity>, Demand, PlacementRule)> {
    let clusters = proptest::collection::vec(arb_cluster(), 0..7).prop_map(|mut cs| {
        for (i, c) in cs.iter_mut().enumerate() {
            c.id = 100 - 7 * i as i64;
            c.name = format!("c{i}");
        }
        cs
    });
    let demand = (0u64..1500, 0u64..3000, prop::bool::weighted(0.2), 1u32..25)
        .prop_map(|(cpu, mem, gpu, replicas)| Demand { per_replica: Resources { cpu_m: cpu, mem_b: mem * MI, gpu: gpu as u32 }, replicas });
    let rule = prop_oneof![
        Just(PlacementRule::LeastLoaded),
        Just(PlacementRule::Spread),
        proptest::collection::vec(0usize..8, 1..4).prop_map(|picks| PlacementRule::Clusters(picks.into_iter().map(|i| 100 - 7 * i as i64).collect())),
    ];
    (clusters, demand, rule).prop_flat_map(|(cs, d, r)| (Just(cs.clone()), Just(cs).prop_shuffle(), Just(d), Just(r)))
}

/// Place identical replicas one at a time on the first node with room.
fn first_fit(nodes: &[NodeFree], need: &Resources, cap: u32) -> u32 {
    let mut nodes = nodes.to_vec();
    let mut placed = 0;
    while placed < cap {
        let Some(n) = nodes.iter_mut().find(|n| n.cpu_m >= need.cpu_m && n.mem_b >= need.mem_b && n.gpu >= need.gpu && n.pods >= 1) else {
            break;
        };
        n.cpu_m -= need.cpu_m;
        n.mem_b -= need.mem_b;
        n.gpu -= need.gpu;
        n.pods -= 1;
        placed += 1;
    }
    placed
}

fn sorted_by_id(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by_key(|c| c.cluster_id);
    candidates
}

proptest! {
    #[test]
    fn assignments_respect_fit_availability_and_the_rule((clusters, _, d, rule) in arb_case()) {
        let p = place(&rule, &d, &clusters);
        for &(id, n) in &p.assignments {
            let c = p.candidates.iter().find(|c| c.cluster_id == id).unwrap();
            let input = clusters.iter().find(|c| c.id == id).unwrap();
            prop_assert!(n > 0 && n <= c.replicas_fitting, "{} gets {} but fits {}", id, n, c.replicas_fitting);
            prop_assert!(input.available);
            prop_assert_eq!(c.chosen_replicas, n);
        }
        prop_assert_eq!(p.error.is_some(), p.assignments.is_empty());
        prop_assert!(p.assignments.windows(2).all(|w| w[0].0 < w[1].0));
        let total: u32 = p.assignments.iter().map(|a| a.1).sum();
        let room: u64 = p.candidates.iter().map(|c| c.replicas_fitting as u64).sum();
        match &rule {
            PlacementRule::Spread => prop_assert_eq!(p.error.is_none(), room >= d.replicas as u64),
            PlacementRule::LeastLoaded => prop_assert_eq!(p.error.is_none(), p.candidates.iter().any(|c| c.fits)),
            PlacementRule::Clusters(_) | PlacementRule::Cheapest => prop_assert!(p.assignments.iter().all(|a| a.1 == d.replicas)),
        }
        if p.error.is_none() && rule != PlacementRule::LeastLoaded {
            let expected = match &rule { PlacementRule::Clusters(ids) => { let mut ids = ids.clone(); ids.sort(); ids.dedup(); ids.len() as u32 * d.replicas }, _ => d.replicas };
            prop_assert_eq!(total, expected);
        }
        if rule == PlacementRule::LeastLoaded && p.error.is_none() {
            let best = p.candidates.iter().filter(|c| c.fits).map(|c| c.headroom_after).fold(f64::MIN, f64::max);
            prop_assert_eq!(p.candidates.iter().find(|c| c.chosen_replicas > 0).unwrap().headroom_after, best);
        }
    }

    #[test]
    fn the_decision_does_not_depend_on_order_or_repetition((clusters, shuffled, d, rule) in arb_case()) {
        let first = place(&rule, &d, &clusters);
        prop_assert_eq!(&place(&rule, &d, &clusters), &first);
        let other = place(&rule, &d, &shuffled);
        prop_assert_eq!(&other.assignments, &first.assignments);
        prop_assert_eq!(&other.summary, &first.summary);
        prop_assert_eq!(&other.error, &first.error);
        prop_assert_eq!(sorted_by_id(other.candidates), sorted_by_id(first.candidates));
    }

    #[test]
    fn counted_fit_equals_first_fit_one_replica_at_a_time((clusters, _, d, _) in arb_case()) {
        let p = place(&PlacementRule::Spread, &d, &clusters);
        for (c, input) in p.candidates.iter().zip(&clusters) {
            if input.available && input.quota_free.is_none() {
                prop_assert_eq!(c.replicas_fitting.min(200), first_fit(&input.nodes, &d.per_replica, 200));
            }
        }
    }
}

#[test]
fn proportional_splits_by_largest_remainder_and_keeps_proportions() {
    use crate::placement::proportional;
    assert_eq!(proportional(6, &[2, 1]), vec![4, 2]);
    assert_eq!(proportional(5, &[1, 1]), vec![3, 2]);
    assert_eq!(proportional(1, &[1, 3]), vec![0, 1]);
    assert_eq!(proportional(7, &[3, 3, 1]).iter().sum::<u32>(), 7);
    assert_eq!(proportional(3, &[0, 2, 2]), vec![0, 2, 1], "a zero weight gets nothing");
    assert_eq!(proportional(3, &[0, 0]), vec![0, 0]);
}

fn priced(mut c: ClusterCapacity, cpu_core_micros: u64) -> ClusterCapacity {
    c.prices = Some(UnitPrices { cpu_core: cpu_core_micros, mem_gib: 5_000, pod: 100, gpu: 0, currency: "USD".into() });
    c
}

#[test]
fn cheapest_takes_the_cluster_that_fits_at_the_lowest_monthly_cost() {
    let big = || vec![node(4000, 8192, 110)];
    let clusters = vec![
        priced(cluster(1, "pricey", big()), 60_000),
        priced(cluster(2, "cheap-but-full", vec![node(100, 1024, 110)]), 10_000),
        priced(cluster(3, "cheap", big()), 30_000),
        cluster(4, "unpriced", big()),
    ];
    let d = demand(1000, 1024, 2);
    let p = place(&PlacementRule::Cheapest, &d, &clusters);
    assert_eq!(p.assignments, vec![(3, 2)], "{}", p.summary);
    // 2 replicas × (1 core × 0.03 + 1 GiB × 0.005 + 0.0001 per pod) × 730 h = 51.246.
    let cheap = &p.candidates[2];
    assert!((cheap.monthly_cost.unwrap() - 51.246).abs() < 1e-9, "{:?}", cheap.monthly_cost);
    assert!(p.summary.starts_with("cheap: the cheapest cluster that fits (about 51.25 USD a month)"), "{}", p.summary);
    assert_eq!(p.candidates[3].monthly_cost, None, "no prices, no estimate");
    // When only unpriced clusters fit, nothing is called cheapest and the reason says why.
    let only_unpriced = place(&PlacementRule::Cheapest, &d, &clusters[3..]);
    assert!(only_unpriced.error.unwrap().contains("known prices"));
}
