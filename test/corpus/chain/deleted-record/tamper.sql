DELETE FROM chain_events WHERE seq = 7;
