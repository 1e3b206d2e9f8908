//! The inputs the demo's tasks send: a window of daily returns and a loan's features.

/// Sixteen daily log-returns, for `verigrad/volatility`.
pub(crate) const VOLATILITY: &str = r#"{"numbers":[{"name":"returns","shape":[1,16],"values":["0.012","-0.008","0.005","-0.015","0.009","-0.003","0.011","-0.006","0.014","-0.021","0.0095","-0.018","0.026","-0.012","0.0075","-0.03"]}]}"#;

/// A loan position's eight features, for `verigrad/risk`.
pub(crate) const RISK: &str = r#"{"numbers":[{"name":"features","shape":[1,8],"values":["1.35","0.6","0.8","6.2","1.5","1","0.02","3.5"]}]}"#;
