//! Customer-base models: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma, CLV and a generative simulator.
