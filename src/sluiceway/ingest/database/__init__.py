"""Database sources: a table or a query in a SQL database, read in chunks into the lake.

* :mod:`.connect` — the SQLAlchemy URL with its ``${env:…}`` secrets resolved at connect
  time, and the credential-free form that messages and ``_sw_source`` show;
* :mod:`.statements` — the SELECT, built as a SQLAlchemy expression (a table reflected, a
  user query wrapped as a subquery for the cursor filter);
* :mod:`.types` — database column types → Arrow types;
* :mod:`.chunks` — a server-side cursor streamed as Arrow record batches, one chunk at a time;
* :mod:`.watermarks` — the cursor's high-water mark, committed with the data;
* :mod:`.step` — the ``ingest`` step for ``source: {type: database}``.

The driver (psycopg, pymysql, …) is SQLAlchemy's business; nothing here imports one.
"""
