UPDATE chain_events SET body = replace(body, '/docs/', '/etc/') WHERE seq = 12;
