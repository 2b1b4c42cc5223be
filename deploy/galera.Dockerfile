# The official MariaDB image ships galera-4; the rsync state transfer also needs rsync.
FROM mariadb:10.11
RUN apt-get update \
    && apt-get install -y --no-install-recommends rsync \
    && rm -rf /var/lib/apt/lists/*
COPY galera.cnf /etc/mysql/conf.d/galera.cnf
