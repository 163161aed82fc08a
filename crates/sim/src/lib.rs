//! Fleet simulator library (test and demo infrastructure).
