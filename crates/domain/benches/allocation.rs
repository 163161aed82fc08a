//! One cost allocation of 100,000 pods over 1,000 nodes (target: < 20 ms on one core),
//! next to a plain loop over the same pods for scale.
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use flotilla_domain::{AllocationOptions, ClusterInput, CostWeights, NodeInput, PodInput, allocate};

mod support;
use support::Dice;

const MI: u64 = 1 << 20;
const NAMESPACES: usize = 200;

/// 1,000 nodes (8 cores, 32 GiB, 110 pods; every 20th with 4 GPUs, every 100th unpriced) and
/// 100,000 pods placed at random, so some nodes are over-committed.
fn cluster() -> (Vec<NodeInput>, Vec<PodInput>) {
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let nodes: Vec<NodeInput> = (0..1_000_u32)
        .map(|n| NodeInput {
            name: format!("node-{n:04}"),
            price_per_hour: (n % 100 != 99).then(|| 0.20 + dice.next(300) as f64 / 1_000.0),
            cpu_m: 8_000,
            mem_b: 32 * 1024 * MI,
            pods: 110,
            gpus: if n.is_multiple_of(20) { 4 } else { 0 },
        })
        .collect();
    let pods: Vec<PodInput> = (0..100_000)
        .map(|_| {
            let node = dice.next(1_000) as u32;
            PodInput {
                node,
                namespace: dice.next(NAMESPACES as u64) as u32,
                cpu_m: 10 + dice.next(200),
                mem_b: (16 + dice.next(600)) * MI,
                gpus: u32::from(node.is_multiple_of(20) && dice.next(4) == 0),
            }
        })
        .collect();
    (nodes, pods)
}

fn allocation(c: &mut Criterion) {
    let (nodes, pods) = cluster();
    let input = ClusterInput { nodes: &nodes, pods: &pods, namespaces: NAMESPACES, control_plane_per_hour: 0.10, weights: CostWeights::default() };
    let shown = allocate(&input, AllocationOptions::default());
    eprintln!("cluster {:.6}/h, idle {:.6}/h, {} unpriced nodes", shown.cluster_per_hour, shown.idle, shown.unpriced_nodes.len());

    let mut group = c.benchmark_group("allocate 100,000 pods over 1,000 nodes");
    group.bench_function("baseline_sum", |b| b.iter(|| black_box(&pods).iter().fold(0_u64, |sum, p| sum.wrapping_add(p.cpu_m).wrapping_add(p.mem_b))));
    for (label, options) in [("allocate", AllocationOptions::default()), ("allocate_spread_idle", AllocationOptions { spread_idle: true, control_plane_separate: false })] {
        group.bench_function(label, |b| b.iter(|| allocate(black_box(&input), black_box(options))));
    }
    group.finish();
}

criterion_group!(benches, allocation);
criterion_main!(benches);
