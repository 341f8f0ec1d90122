INSERT INTO chain_checkpoints (seq, hash, ts, kid, signature) VALUES (30, 'abababababababababababababababababababababababababababababababab', 0, 'forged', 'AAAA');
