//! One placement decision over a 20-cluster × 100-node fleet (target: < 1 ms).
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use flotilla_domain::{ClusterCapacity, Demand, NodeFree, PlacementRule, QuotaFree, Resources, place};

mod support;
use support::Dice;

const MI: u64 = 1 << 20;

/// 20 clusters of 100 nodes (8 cores, 32 GiB, 110 pods each) with varied free room;
/// one unreachable, every fourth with a project quota.
fn fleet() -> Vec<ClusterCapacity> {
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    (0..20)
        .map(|c| {
            let nodes: Vec<NodeFree> = (0..100)
                .map(|n| NodeFree { name: format!("c{c}-node-{n:03}"), cpu_m: dice.next(8000), mem_b: dice.next(32 * 1024) * MI, pods: dice.next(110) as u32, gpu: 0, refuses: None, avoid: false })
                .collect();
            ClusterCapacity {
                id: c + 1,
                name: format!("cluster-{c:02}"),
                available: c != 7,
                unavailable_reason: (c == 7).then(|| "unreachable since 10:42".to_owned()),
                nodes,
                allocatable: Resources { cpu_m: 100 * 8000, mem_b: 100 * 32 * 1024 * MI, gpu: 0 },
                allocatable_pods: 100 * 110,
                quota_free: (c % 4 == 0).then_some(QuotaFree { cpu_m: Some(4000), mem_b: None, pods: Some(40), gpus: None }),
                prices: None,
            }
        })
        .collect()
}

fn placement(c: &mut Criterion) {
    let clusters = fleet();
    let demand = Demand { per_replica: Resources { cpu_m: 250, mem_b: 256 * MI, gpu: 0 }, replicas: 3 };
    let mut group = c.benchmark_group("place 3 × 250m/256Mi on 20 clusters × 100 nodes");
    for (label, rule) in [("least_loaded", PlacementRule::LeastLoaded), ("spread", PlacementRule::Spread), ("clusters_3", PlacementRule::Clusters(vec![2, 5, 11]))] {
        eprintln!("{label}: {}", place(&rule, &demand, &clusters).summary);
        group.bench_function(label, |b| b.iter(|| place(black_box(&rule), black_box(&demand), black_box(&clusters))));
    }
    group.finish();
}

criterion_group!(benches, placement);
criterion_main!(benches);
