-- HAProxy's mysql-check logs in as this user to see that a node answers; it needs no privilege.
CREATE USER IF NOT EXISTS 'haproxy'@'%';
