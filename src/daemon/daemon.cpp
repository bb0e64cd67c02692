// placeholder until the daemon core lands
