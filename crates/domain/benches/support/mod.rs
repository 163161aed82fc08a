//! What the domain benchmarks share.

/// A small deterministic generator (xorshift), so every run sees the same input.
pub struct Dice(pub u64);

impl Dice {
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}
