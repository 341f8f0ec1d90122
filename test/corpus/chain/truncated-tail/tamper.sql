DELETE FROM chain_events WHERE seq > 22;
UPDATE chain_head SET seq = 22, hash = (SELECT hash FROM chain_events WHERE seq = 22);
