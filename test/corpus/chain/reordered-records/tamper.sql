UPDATE chain_events SET seq = -1 WHERE seq = 14;
UPDATE chain_events SET seq = 14 WHERE seq = 15;
UPDATE chain_events SET seq = 15 WHERE seq = -1;
