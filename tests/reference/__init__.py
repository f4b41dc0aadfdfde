"""Earlier implementations kept as references: faster code must give the same results."""
