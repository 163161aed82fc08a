//! Unit and property tests of the cost allocation (the worked example is docs/cost-model.md's).
use super::*;
use proptest::prelude::*;

const GI: u64 = 1 << 30;
const WEB: u32 = 0;
const ML: u32 = 1;

fn node(name: &str, price: Option<f64>, cpu_m: u64, mem_gi: u64, pods: u32, gpus: u32) -> NodeInput {
    NodeInput { name: name.to_owned(), price_per_hour: price, cpu_m, mem_b: mem_gi * GI, pods, gpus }
}

fn pod(node: u32, namespace: u32, cpu_m: u64, mem_gi: u64, gpus: u32) -> PodInput {
    PodInput { node, namespace, cpu_m, mem_b: mem_gi * GI, gpus }
}

/// docs/cost-model.md: nodes a (0.40/h), b (GPU, 2.00/h), c (price unknown); namespaces
/// web, ml and an empty one; control plane 0.10/h.
fn example_nodes() -> Vec<NodeInput> {
    vec![node("a", Some(0.40), 4000, 16, 100, 0), node("b", Some(2.00), 8000, 32, 50, 2), node("c", None, 4000, 16, 100, 0)]
}

fn example_pods() -> Vec<PodInput> {
    vec![
        pod(0, WEB, 1000, 4, 0),
        pod(0, WEB, 2000, 8, 0),
        pod(1, ML, 2000, 8, 1),
        // Uses 32 GiB on a 32 GiB node that already gives 8 GiB to the pod above: over-committed.
        PodInput::charged(1, ML, (4000, 16 * GI, 1), (3000, 32 * GI, 0)),
        pod(2, WEB, 1000, 1, 0),
    ]
}

fn example(options: AllocationOptions) -> Allocation {
    let (nodes, pods) = (example_nodes(), example_pods());
    let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 3, control_plane_per_hour: 0.10, weights: CostWeights::default() };
    allocate(&input, options)
}

fn options(spread_idle: bool, control_plane_separate: bool) -> AllocationOptions {
    AllocationOptions { spread_idle, control_plane_separate }
}

#[test]
fn worked_example_with_everything_shown_separately() {
    let a = example(options(false, true));
    assert_eq!(a.cluster_per_hour, 2.50);
    // web: 0.0952 + 0.1902 on node a, nothing for its pod on the unpriced node c.
    // ml: 0.721 + 1.081 on the GPU node b (memory shared over 40 GiB of demand, not 32).
    assert_eq!(a.namespaces, vec![0.2854, 1.802, 0.0]);
    // a: cpu 0.06 + memory 0.035 + pod slots 0.0196; b: cpu 0.15 + pod slots 0.048.
    assert_eq!(a.idle, 0.3126);
    assert_eq!(a.control_plane, 0.10);
    assert_eq!(a.unpriced_nodes, vec!["c".to_owned()]);
}

#[test]
fn worked_example_spreads_the_control_plane_by_default() {
    let a = example(AllocationOptions::default());
    // 0.10 × 0.2854 / 2.0874 = 0.0136725… and 0.0863274…; the spare micro goes to web.
    assert_eq!(a.namespaces, vec![0.299073, 1.888327, 0.0]);
    assert_eq!(a.idle, 0.3126);
    assert_eq!(a.control_plane, 0.0);
    assert_eq!(a.cluster_per_hour, 2.50);
}

#[test]
fn spread_idle_moves_idle_into_namespaces_pro_rata() {
    let both = example(options(true, false));
    assert_eq!(both.namespaces, vec![0.341813, 2.158187, 0.0]);
    assert_eq!((both.idle, both.control_plane), (0.0, 0.0));

    let idle_only = example(options(true, true));
    assert_eq!(idle_only.namespaces, vec![0.32814, 2.07186, 0.0]);
    assert_eq!((idle_only.idle, idle_only.control_plane), (0.0, 0.10));
}

#[test]
fn a_node_without_pods_is_all_idle_and_the_control_plane_cannot_be_spread() {
    let nodes = [node("a", Some(1.0), 4000, 16, 110, 0)];
    let input = ClusterInput { nodes: &nodes, pods: &[], namespaces: 2, control_plane_per_hour: 0.1, weights: CostWeights::default() };
    let a = allocate(&input, options(true, false));
    assert_eq!(a.namespaces, vec![0.0, 0.0]);
    assert_eq!(a.idle, 1.0);
    assert_eq!(a.control_plane, 0.1, "with no namespace cost there is nothing to spread it over");
    assert_eq!(a.cluster_per_hour, 1.1);
}

#[test]
fn half_a_node_is_half_of_every_pool_and_the_rest_is_idle() {
    let nodes = [node("a", Some(1.0), 4000, 16, 2, 0)];
    let pods = [pod(0, 0, 2000, 8, 0)];
    let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 1, control_plane_per_hour: 0.0, weights: CostWeights::default() };
    let a = allocate(&input, AllocationOptions::default());
    assert_eq!(a.namespaces, vec![0.5]);
    assert_eq!(a.idle, 0.5);
}

#[test]
fn gpu_pool_goes_to_gpu_pods_only() {
    // 4.00/h with 1 GPU: GPU pool 2.00, cpu 1.20, memory 0.70, pod slots 0.10.
    let nodes = [node("g", Some(4.0), 8000, 32, 10, 1)];
    let pods = [pod(0, 0, 4000, 16, 0), pod(0, 1, 4000, 16, 1)];
    let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 2, control_plane_per_hour: 0.0, weights: CostWeights::default() };
    let a = allocate(&input, AllocationOptions::default());
    // Each pays half of cpu and memory and 1/10 of the pod slots; only the second pays the GPU.
    assert_eq!(a.namespaces, vec![0.96, 2.96]);
    assert_eq!(a.idle, 0.08);

    // Without GPU pods the whole GPU pool is idle.
    let cpu_only = [pod(0, 0, 8000, 32, 0)];
    let a = allocate(&ClusterInput { pods: &cpu_only, ..input }, AllocationOptions::default());
    assert_eq!(a.namespaces, vec![1.91, 0.0]);
    assert_eq!(a.idle, 2.09);
}

#[test]
fn gpu_weight_is_a_fraction_of_the_gpu_node_price() {
    let nodes = [node("g", Some(1.0), 1000, 1, 1, 1)];
    let pods = [pod(0, 0, 0, 0, 1)];
    let weights = CostWeights { gpu: 0.8, ..CostWeights::default() };
    let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 1, control_plane_per_hour: 0.0, weights };
    let a = allocate(&input, options(false, true));
    // GPU pool 0.80 plus the single pod slot (0.05 × 0.20 = 0.01).
    assert_eq!(a.namespaces, vec![0.81]);
    assert_eq!(a.idle, 0.19);
}

#[test]
fn unpriced_node_is_flagged_and_left_out_of_the_total() {
    let nodes = [node("known", Some(1.0), 1000, 1, 1, 0), node("mystery", None, 1000, 1, 1, 0), node("broken", Some(f64::NAN), 1, 1, 1, 0)];
    let pods = [pod(1, 0, 1000, 1, 0), pod(2, 0, 1, 1, 0)];
    let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 1, control_plane_per_hour: 0.0, weights: CostWeights::default() };
    let a = allocate(&input, AllocationOptions::default());
    assert_eq!(a.unpriced_nodes, vec!["mystery".to_owned(), "broken".to_owned()]);
    assert_eq!(a.cluster_per_hour, 1.0);
    assert_eq!(a.namespaces, vec![0.0]);
    assert_eq!(a.idle, 1.0);
}

#[test]
fn over_committed_usage_is_capped_at_the_whole_pool() {
    // Pods using 1 and 3 cores of a 1-core node: they share the CPU pool 1 : 3.
    let nodes = [node("a", Some(1.0), 1000, 2, 2, 0)];
    let pods = [pod(0, 0, 1000, 1, 0), pod(0, 1, 3000, 1, 0)];
    let weights = CostWeights { cpu: 1.0, memory: 0.0, pods: 0.0, gpu: 0.0 };
    let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 2, control_plane_per_hour: 0.0, weights };
    let a = allocate(&input, AllocationOptions::default());
    assert_eq!(a.namespaces, vec![0.25, 0.75]);
    assert_eq!(a.idle, 0.0);
}

#[test]
fn weights_are_normalised_and_unusable_weights_fall_back_to_the_defaults() {
    let default = example(AllocationOptions::default());
    for weights in [CostWeights { cpu: 6.0, memory: 3.5, pods: 0.5, gpu: 0.5 }, CostWeights { cpu: 0.0, memory: -1.0, pods: f64::NAN, gpu: 0.5 }] {
        let (nodes, pods) = (example_nodes(), example_pods());
        let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 3, control_plane_per_hour: 0.10, weights };
        assert_eq!(allocate(&input, AllocationOptions::default()), default, "{weights:?}");
    }
}

#[test]
fn pods_pointing_outside_the_inputs_are_skipped() {
    let nodes = [node("a", Some(1.0), 1000, 1, 10, 0)];
    let pods = [pod(5, 0, 1000, 1, 0), pod(0, 9, 1000, 1, 0)];
    let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 1, control_plane_per_hour: 0.0, weights: CostWeights::default() };
    let a = allocate(&input, AllocationOptions::default());
    assert_eq!((a.namespaces.clone(), a.idle), (vec![0.0], 1.0));
}

#[test]
fn charged_takes_the_larger_of_request_and_usage() {
    let p = PodInput::charged(1, 2, (500, 10, 0), (700, 5, 1));
    assert_eq!(p, PodInput { node: 1, namespace: 2, cpu_m: 700, mem_b: 10, gpus: 1 });
}

#[test]
fn allocation_round_trips_through_json() {
    let a = example(AllocationOptions::default());
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<Allocation>(&json).unwrap(), a);
    let w: CostWeights = serde_json::from_str(r#"{"cpu":0.6,"memory":0.35,"pods":0.05,"gpu":0.5}"#).unwrap();
    assert_eq!(w, CostWeights::default());
}

#[test]
fn rounding_to_micros_keeps_the_sum_and_leaves_zeros_alone() {
    // Largest remainders get the spare micros.
    assert_eq!(apportion(&[1.6, 0.0, 2.3, 1.1], 5), vec![2, 0, 2, 1]);
    // Even a gap far beyond rounding error is closed without touching a zero part.
    assert_eq!(apportion(&[10.0, 0.0, 30.0, 0.0], 4).iter().sum::<i64>(), 4);
    assert_eq!(apportion(&[10.0, 0.0, 30.0, 0.0], 4)[1], 0);
    assert_eq!(apportion(&[1.0, 0.0, 1.0, 0.0], 1_000_000), vec![500_000, 0, 500_000, 0]);
}

/// A cluster of up to 12 nodes (some unpriced, some with GPUs) and up to 300 pods over
/// `namespaces` namespaces, the last of which never has a pod.
fn cluster() -> impl Strategy<Value = (Vec<NodeInput>, Vec<PodInput>, usize, f64, CostWeights, AllocationOptions)> {
    let node = (prop::option::weighted(0.85, 0.0..40.0_f64), 0..16_000_u64, 0..64 * GI, 0..110_u32, prop_oneof![3 => Just(0_u32), 1 => 1..4_u32])
        .prop_map(|(price, cpu_m, mem_b, pods, gpus)| NodeInput { name: format!("n-{cpu_m}"), price_per_hour: price, cpu_m, mem_b, pods, gpus });
    (prop::collection::vec(node, 0..12), 2..8_usize).prop_flat_map(|(nodes, namespaces)| {
        let n = nodes.len().max(1) as u32;
        let pod = (0..n, 0..(namespaces as u32 - 1), 0..20_000_u64, 0..80 * GI, 0..3_u32).prop_map(|(node, namespace, cpu_m, mem_b, gpus)| PodInput { node, namespace, cpu_m, mem_b, gpus });
        let weights = (0.0..1.0_f64, 0.0..1.0_f64, 0.0..1.0_f64, 0.0..1.0_f64).prop_map(|(cpu, memory, pods, gpu)| CostWeights { cpu, memory, pods, gpu });
        let options = (any::<bool>(), any::<bool>()).prop_map(|(spread_idle, control_plane_separate)| AllocationOptions { spread_idle, control_plane_separate });
        (Just(nodes), prop::collection::vec(pod, 0..300), Just(namespaces), 0.0..5.0_f64, weights, options)
    })
}

proptest! {
    #[test]
    fn parts_add_up_to_the_cluster_cost((nodes, pods, namespaces, control_plane, weights, options) in cluster()) {
        let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces, control_plane_per_hour: control_plane, weights };
        let a = allocate(&input, options);
        let m = Allocation::micros;

        // Exact in micro-units, and within a cent in currency.
        let parts: i64 = a.namespaces.iter().map(|&c| m(c)).sum::<i64>() + m(a.idle) + m(a.control_plane);
        prop_assert_eq!(parts, m(a.cluster_per_hour));
        let sum: f64 = a.namespaces.iter().sum::<f64>() + a.idle + a.control_plane;
        prop_assert!((sum - a.cluster_per_hour).abs() < 0.01);

        // The total is the priced nodes plus the control plane; unpriced nodes are named.
        let priced: i64 = nodes.iter().filter_map(|n| n.price_per_hour).map(m).sum();
        prop_assert_eq!(m(a.cluster_per_hour), priced + m(control_plane));
        prop_assert_eq!(a.unpriced_nodes.len(), nodes.iter().filter(|n| n.price_per_hour.is_none()).count());

        prop_assert!(a.namespaces.iter().chain([&a.idle, &a.control_plane, &a.cluster_per_hour]).all(|&c| c >= 0.0));
        prop_assert_eq!(a.namespaces.len(), namespaces);
        prop_assert_eq!(a.namespaces[namespaces - 1], 0.0, "a namespace without pods costs nothing");
        if options.spread_idle && a.namespaces.iter().any(|&c| c > 0.0) {
            prop_assert_eq!(a.idle, 0.0);
        }
        if !options.control_plane_separate && a.namespaces.iter().any(|&c| c > 0.0) {
            prop_assert_eq!(a.control_plane, 0.0);
        }
    }

    #[test]
    fn spreading_never_lowers_a_namespace((nodes, pods, namespaces, control_plane, weights, _) in cluster()) {
        let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces, control_plane_per_hour: control_plane, weights };
        let plain = allocate(&input, options(false, true));
        let spread = allocate(&input, options(true, false));
        for (p, s) in plain.namespaces.iter().zip(&spread.namespaces) {
            // Up to one micro of rounding either way.
            prop_assert!(Allocation::micros(*s) + 1 >= Allocation::micros(*p), "{} < {}", s, p);
        }
    }
}

proptest! {
    #[test]
    fn doubling_a_pods_request_never_lowers_its_cost((nodes, mut pods, namespaces, control_plane, weights, options) in cluster(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!pods.is_empty());
        // The chosen pod gets the (otherwise empty) last namespace to itself.
        let i = pick.index(pods.len());
        pods[i].namespace = namespaces as u32 - 1;
        let cost = |pods: &[PodInput]| {
            let input = ClusterInput { nodes: &nodes, pods, namespaces, control_plane_per_hour: control_plane, weights };
            Allocation::micros(allocate(&input, AllocationOptions { spread_idle: false, ..options }).namespaces[namespaces - 1])
        };
        let before = cost(&pods);
        pods[i].cpu_m *= 2;
        pods[i].mem_b *= 2;
        pods[i].gpus *= 2;
        // One micro of rounding either way.
        prop_assert!(cost(&pods) + 1 >= before);
    }

    #[test]
    fn a_pod_alone_on_a_node_asking_for_all_of_it_pays_the_whole_node(price in 0.0..50.0_f64, cpu_m in 1..64_000_u64, mem_gi in 1..512_u64, gpus in 0..8_u32, weights in (0.0..1.0_f64, 0.0..1.0_f64, 0.0..1.0_f64, 0.0..1.0_f64)) {
        let nodes = [node("only", Some(price), cpu_m, mem_gi, 1, gpus)];
        let pods = [pod(0, 0, cpu_m, mem_gi, gpus)];
        let weights = CostWeights { cpu: weights.0, memory: weights.1, pods: weights.2, gpu: weights.3 };
        let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: 1, control_plane_per_hour: 0.0, weights };
        let a = allocate(&input, options(false, true));
        prop_assert_eq!(Allocation::micros(a.namespaces[0]), Allocation::micros(price));
        prop_assert_eq!(a.idle, 0.0);
    }

    #[test]
    fn one_sample_of_an_hour_prices_like_allocate((nodes, pods, namespaces, control_plane, weights, options) in cluster()) {
        let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces, control_plane_per_hour: control_plane, weights };
        let direct = allocate(&input, options);
        let (hours, usage) = one_hour(&nodes, &pods, namespaces);
        let period = price_period(&PeriodInput { nodes: &hours, usage: &usage, groups: namespaces, control_plane, weights }, options);
        let m = Allocation::micros;
        prop_assert_eq!(m(period.cluster_per_hour), m(direct.cluster_per_hour));
        for (p, d) in period.namespaces.iter().zip(&direct.namespaces) {
            prop_assert!((m(*p) - m(*d)).abs() <= 2, "{} vs {}", p, d);
        }
        let parts: i64 = period.namespaces.iter().map(|&c| m(c)).sum::<i64>() + m(period.idle) + m(period.control_plane);
        prop_assert_eq!(parts, m(period.cluster_per_hour));
        prop_assert!(period.namespaces.iter().chain([&period.idle, &period.control_plane]).all(|&c| c >= 0.0));
    }
}

/// The period input of one sample lasting one hour.
fn one_hour(nodes: &[NodeInput], pods: &[PodInput], namespaces: usize) -> (Vec<NodeHours>, Vec<GroupUsage>) {
    let hours = nodes.iter().map(|n| NodeHours { name: n.name.clone(), price_per_hour: n.price_per_hour, has_gpus: n.gpus > 0, hours: 1.0 }).collect();
    let usage =
        pods.iter().zip(pod_shares(nodes, pods)).filter(|(p, _)| (p.namespace as usize) < namespaces).map(|(p, share)| GroupUsage { node: p.node, group: p.namespace, share_hours: share }).collect();
    (hours, usage)
}

#[test]
fn worked_example_priced_as_a_ledger_hour_matches() {
    let (nodes, pods) = (example_nodes(), example_pods());
    let (hours, usage) = one_hour(&nodes, &pods, 3);
    let a = price_period(&PeriodInput { nodes: &hours, usage: &usage, groups: 3, control_plane: 0.10, weights: CostWeights::default() }, options(false, true));
    assert_eq!((a.namespaces.clone(), a.idle, a.control_plane, a.cluster_per_hour), (vec![0.2854, 1.802, 0.0], 0.3126, 0.10, 2.50));
}

#[test]
fn a_period_sums_its_samples_and_leaves_unobserved_time_out() {
    // Node a (0.40/h) seen for two half-hour samples: web uses half the node in the first and
    // nothing in the second. Node b (2.00/h) was only seen for the first half hour.
    let hours = [NodeHours { name: "a".into(), price_per_hour: Some(0.40), has_gpus: false, hours: 1.0 }, NodeHours { name: "b".into(), price_per_hour: Some(2.00), has_gpus: false, hours: 0.5 }];
    let usage = [GroupUsage { node: 0, group: 0, share_hours: [0.25, 0.25, 0.0, 0.0] }];
    let a = price_period(&PeriodInput { nodes: &hours, usage: &usage, groups: 1, control_plane: 0.05, weights: CostWeights { cpu: 0.5, memory: 0.5, pods: 0.0, gpu: 0.0 } }, options(false, true));
    assert_eq!(a.cluster_per_hour, 0.40 + 1.00 + 0.05);
    assert_eq!(a.namespaces, vec![0.10]);
    assert_eq!(a.idle, 0.30 + 1.00);
    // Shares beyond the node's observed hours are never charged twice.
    let over = [GroupUsage { node: 1, group: 0, share_hours: [3.0, 3.0, 3.0, 3.0] }];
    let b = price_period(&PeriodInput { nodes: &hours, usage: &over, groups: 1, control_plane: 0.0, weights: CostWeights::default() }, options(false, true));
    assert_eq!((b.namespaces[0], b.idle), (1.00, 0.40));
}

#[test]
fn shares_of_a_pod_follow_allocatable_and_over_commitment() {
    let nodes = [node("a", Some(1.0), 4000, 16, 100, 2)];
    let pods = [pod(0, 0, 1000, 4, 1), pod(0, 0, 4000, 16, 0), pod(9, 0, 1, 1, 0)];
    let s = pod_shares(&nodes, &pods);
    // CPU: 5000m asked of 4000m → shared over 5000m; memory over 20 GiB.
    assert_eq!(s[0], [0.2, 0.2, 0.01, 0.5]);
    assert_eq!(s[1], [0.8, 0.8, 0.01, 0.0]);
    assert_eq!(s[2], [0.0; 4], "a pod on no known node has no share");
}

#[test]
fn unit_prices_average_the_priced_nodes_pools() {
    // Node a: 0.40/h, 4 cores, 16 GiB, 100 pods → cpu 0.24/4, memory 0.14/16, pods 0.02/100.
    // Node c has no price and is left out; with no priced node there are no unit prices.
    let u = unit_prices(&example_nodes()[..1], CostWeights::default()).unwrap();
    assert_eq!(u, [60_000, 8_750, 200, 0]);
    let with_gpu = unit_prices(&example_nodes()[..2], CostWeights::default()).unwrap();
    assert_eq!(with_gpu[3], 500_000, "node b's 1.00 GPU pool over its 2 GPUs");
    assert_eq!(unit_prices(&example_nodes()[2..], CostWeights::default()), None);
}
