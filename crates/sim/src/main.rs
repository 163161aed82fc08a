//! Fleet simulator (test and demo infrastructure); built out by the simulator issue.
fn main() {
    eprintln!("flotilla-sim: not built yet");
    std::process::exit(2);
}
