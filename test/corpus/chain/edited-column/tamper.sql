UPDATE chain_events SET task = 'task-x' WHERE seq = 5;
