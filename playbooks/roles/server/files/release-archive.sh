#!/bin/bash
# A managed server's data for its release (roles/server/tasks/archive.yml): every non-system
# MariaDB and PostgreSQL database dumped into FOLDER/databases, then FOLDER/ARCHIVE, one tar.gz
# of the dumps and the PATHs (relative to /). FOLDER is made anew, readable by root only.
# Usage: release-archive.sh FOLDER ARCHIVE [PATH...]
set -euo pipefail
umask 077
folder=$1
archive=$2
shift 2
rm -rf -- "$folder"
mkdir -p -- "$folder/databases"
# postgres cannot enter root's working directory.
cd /

if [ -x /usr/sbin/mariadbd ]; then
    systemctl start mariadb
    mapfile -t databases < <(mariadb --batch --skip-column-names --execute \
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
         WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')")
    if [ "${#databases[@]}" -gt 0 ]; then
        mariadb-dump --single-transaction --routines --events --triggers \
            --databases "${databases[@]}" > "$folder/databases/mariadb.sql"
    fi
fi

# Each cluster whole (pg_dumpall: its roles too) where it holds a database of its own.
if command -v pg_lsclusters > /dev/null; then
    systemctl start postgresql
    pg_lsclusters --no-header | while read -r version cluster port _; do
        count=$(runuser -u postgres -- psql --port "$port" --no-align --tuples-only --command \
            "SELECT count(*) FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'" \
            < /dev/null)
        if [ "$count" -gt 0 ]; then
            runuser -u postgres -- pg_dumpall --port "$port" < /dev/null \
                > "$folder/databases/postgresql-$version-$cluster.sql"
        fi
    done
fi

# Status 1: a file changed while tar read it (a process of a user still writing); it is packed
# as it was read.
tar --create --gzip --file "$folder/$archive" --directory / "$@" --directory "$folder" databases \
    || [ $? -eq 1 ]
