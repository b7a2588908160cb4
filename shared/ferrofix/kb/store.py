"""Durable knowledge-base records in SQLite: WAL mode, migrations, and a change log.

Every process (language servers, the desktop app, the CLI) opens the same file. Writes are short
`BEGIN IMMEDIATE` transactions with a busy timeout, so concurrent writers queue instead of failing; the
`changes` table (filled by triggers) is the change counter other processes poll to keep their search
index current. Source: SQLite documentation ("Write-Ahead Logging", "CREATE TRIGGER").
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import FerrofixError
from .records import MAX_COUNT, MAX_TAGS, STATUSES, Record, RecordError, search_text_of

COLUMNS = ("code", "message", "message_norm", "before", "after", "diff", "explanation", "tags", "source",
           "status", "retrieved", "offered", "accepted", "created", "updated", "content_hash", "seed_key",
           "curated")

MIGRATIONS = [
    # 1: records, change log, stored vectors
    """
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        message_norm TEXT NOT NULL DEFAULT '',
        before TEXT NOT NULL DEFAULT '',
        after TEXT NOT NULL DEFAULT '',
        diff TEXT NOT NULL DEFAULT '',
        explanation TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        source TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        retrieved INTEGER NOT NULL DEFAULT 0,
        offered INTEGER NOT NULL DEFAULT 0,
        accepted INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        seed_key TEXT UNIQUE,
        curated INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX records_code ON records(code);
    CREATE INDEX records_status ON records(status);
    CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id INTEGER NOT NULL, op TEXT NOT NULL);
    CREATE TRIGGER records_ins AFTER INSERT ON records BEGIN
        INSERT INTO changes(record_id, op) VALUES (new.id, 'upsert'); END;
    CREATE TRIGGER records_upd AFTER UPDATE OF code, message, message_norm, before, after, explanation,
        tags, source, status ON records BEGIN
        INSERT INTO changes(record_id, op) VALUES (new.id, 'upsert'); END;
    CREATE TRIGGER records_del AFTER DELETE ON records BEGIN
        INSERT INTO changes(record_id, op) VALUES (old.id, 'delete');
        DELETE FROM vectors WHERE record_id = old.id; END;
    CREATE TABLE vectors (record_id INTEGER PRIMARY KEY, model TEXT NOT NULL, content_hash TEXT NOT NULL,
                          vec BLOB NOT NULL);
    """,
    # 2: what curators act on (issue 20): each record's status changes over time, and the fixes users
    # were offered and accepted, per error code. Records older than this version enter the log with
    # their present status at their creation time (their history was not kept). SQLite's clock has
    # millisecond steps: a change is logged no earlier than the record's own times, so that a record's
    # rows sort in the order they happened.
    """
    CREATE TABLE status_log (record_id INTEGER NOT NULL, status TEXT NOT NULL, ts REAL NOT NULL);
    CREATE INDEX status_log_ts ON status_log(ts);
    INSERT INTO status_log(record_id, status, ts) SELECT id, status, created FROM records;
    CREATE TRIGGER status_log_ins AFTER INSERT ON records BEGIN
        INSERT INTO status_log(record_id, status, ts) VALUES (new.id, new.status, new.created); END;
    CREATE TRIGGER status_log_upd AFTER UPDATE OF status ON records WHEN new.status != old.status BEGIN
        INSERT INTO status_log(record_id, status, ts)
        VALUES (new.id, new.status, MAX((julianday('now') - 2440587.5) * 86400.0, new.updated, new.created)); END;
    CREATE TRIGGER status_log_del AFTER DELETE ON records BEGIN
        INSERT INTO status_log(record_id, status, ts)
        VALUES (old.id, 'deleted', MAX((julianday('now') - 2440587.5) * 86400.0, old.updated, old.created)); END;
    CREATE TABLE fix_events (id INTEGER PRIMARY KEY, ts REAL NOT NULL, code TEXT NOT NULL DEFAULT '',
                             kind TEXT NOT NULL CHECK (kind IN ('offered', 'accepted')),
                             front TEXT NOT NULL DEFAULT '');
    CREATE INDEX fix_events_code ON fix_events(code);
    """,
]

#: `fix_events.kind`: a verified fix shown to a user or an agent, and one they took.
FIX_EVENTS = ("offered", "accepted")


class KBError(FerrofixError):
    """The knowledge base cannot be opened or written (locked, corrupt, unwritable); nothing was lost."""


class KBImportError(KBError):
    """An import had invalid lines; `errors` lists (line number, message). Nothing was imported."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        first = "; ".join(f"line {n}: {m}" for n, m in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"{len(errors)} invalid line(s), nothing imported: {first}{more}")


class UnknownIdsError(KBError):
    """A write naming records that do not exist; `ids` lists them. Nothing was changed."""

    def __init__(self, ids: list[int]):
        self.ids = ids
        shown = ", ".join(map(str, ids[:10])) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        super().__init__(f"no record{'s' if len(ids) > 1 else ''} {shown} (nothing changed)")


def _capped(expr: str) -> str:
    """SQL for a count `expr` that stays at MAX_COUNT (SQLite turns an INTEGER sum past 2**63 - 1 into a REAL)."""
    return f"MIN({expr}, {MAX_COUNT})"


def _row_to_record(row: sqlite3.Row) -> Record:
    return Record(id=row["id"], code=row["code"], message=row["message"], message_norm=row["message_norm"],
                  before=row["before"], after=row["after"], diff=row["diff"], explanation=row["explanation"],
                  tags=json.loads(row["tags"]), source=row["source"], status=row["status"],
                  retrieved=row["retrieved"], offered=row["offered"], accepted=row["accepted"],
                  created=row["created"], updated=row["updated"], content_hash=row["content_hash"])


_SORTABLE = frozenset("id code message status source retrieved offered accepted created updated".split())


class Store:
    """The SQLite file at `path` (created with its directory when missing).

    Raises KBError when the file is not a database, is locked beyond `timeout_s` seconds, or cannot be
    created. Thread-safe: one connection guarded by a lock.
    """

    def __init__(self, path: Path, *, timeout_s: float = 15.0):
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None,
                                        check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise KBError(self._explain(e)) from e
        except OSError as e:
            raise KBError(f"cannot open the knowledge base {self.path}: {e}") from e

    def _explain(self, e: Exception) -> str:
        msg = str(e)
        if "locked" in msg or "busy" in msg:
            return f"the knowledge base {self.path} is locked by another process (waited {self.timeout_s:.0f} s)"
        if "not a database" in msg or "malformed" in msg:
            return f"the knowledge base {self.path} is corrupt ({msg}); move it aside and run `ferrofix kb seed`"
        return f"knowledge base {self.path}: {msg}"

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT; ROLLBACK on error)."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise KBError(self._explain(e)) from e
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as e:
                self.conn.execute("ROLLBACK")
                raise KBError(self._explain(e)) from e

    def _query(self, sql: str, args: Sequence = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as e:
                raise KBError(self._explain(e)) from e

    def _migrate(self) -> None:
        with self.tx() as c:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise KBError(f"{self.path} was written by a newer ferrofix (schema {version})")
            for i in range(version, len(MIGRATIONS)):
                for stmt in _statements(MIGRATIONS[i]):
                    c.execute(stmt)
                c.execute(f"PRAGMA user_version = {i + 1}")

    # -- reads ---------------------------------------------------------------------------------
    def get(self, record_id: int) -> Record | None:
        rows = self._query("SELECT * FROM records WHERE id = ?", (record_id,))
        return _row_to_record(rows[0]) if rows else None

    def get_many(self, ids: Iterable[int]) -> dict[int, Record]:
        ids = list(ids)
        if not ids:
            return {}
        rows = self._query(f"SELECT * FROM records WHERE id IN ({','.join('?' * len(ids))})", ids)
        return {r["id"]: _row_to_record(r) for r in rows}

    def list(self, *, status: str | None = None, source: str | None = None, code: str | None = None,
             text: str | None = None, limit: int = 100, offset: int = 0, pending_first: bool = False,
             order: str = "updated DESC") -> list[Record]:
        """Records matching the filters (substring `text` over message and snippets), `limit` from
        `offset`, in `order` ("COLUMN ASC|DESC" for id, code, message, status, source, retrieved, offered,
        accepted, created, updated; anything else means newest first); `pending_first` puts pending
        records before the rest."""
        where, args = self._where(status, source, code, text)
        col, _, direction = order.partition(" ")
        if col not in _SORTABLE or direction not in ("ASC", "DESC"):
            order = "updated DESC"
        order += ", id DESC"
        if pending_first:
            order = f"(status = 'pending') DESC, {order}"
        rows = self._query(f"SELECT * FROM records {where} ORDER BY {order} LIMIT ? OFFSET ?",
                           (*args, limit, offset))
        return [_row_to_record(r) for r in rows]

    def count(self, *, status: str | None = None, source: str | None = None, code: str | None = None,
              text: str | None = None) -> int:
        where, args = self._where(status, source, code, text)
        return self._query(f"SELECT COUNT(*) FROM records {where}", args)[0][0]

    @staticmethod
    def _where(status, source, code, text) -> tuple[str, list]:
        conds, args = [], []
        if status:
            conds.append("status = ?")
            args.append(status)
        if source:
            conds.append("source LIKE ?" if source.endswith("*") else "source = ?")
            args.append(source.rstrip("*") + "%" if source.endswith("*") else source)
        if code:
            conds.append("code = ?")
            args.append(code)
        if text:
            conds.append("(message LIKE ? OR before LIKE ? OR after LIKE ? OR explanation LIKE ?)")
            args += [f"%{text}%"] * 4
        return ("WHERE " + " AND ".join(conds)) if conds else "", args

    def stats(self) -> dict:
        """`{"records", "codes", "by_status": {...}, "by_source": {...}, "top_codes": [[code, n], ...],
        "accepted", "offered"}` (`accepted`/`offered`: the records' counters), plus what curators act on:
        `"status_over_time"`: `[[day, pending, approved, rejected], ...]` (day "YYYY-MM-DD", UTC; the
        number of records in each status at the end of that day, one row per day with a change, from
        `status_log`; the records seeded from the error index, approved when seeded, are left out: the
        curve shows what was learnt or imported and its curation); `"codes_hit"`: `[{"code", "offered", "accepted", "rate", "records", "pending",
        "approved", "rejected"}, ...]` — per error code, the verified fixes offered to users and agents and
        those they accepted (`fix_events`; `rate` = accepted / offered, None when none was offered) and
        the records learnt from accepted fixes (`source` "accepted-fix") by status; most accepted first,
        at most 30."""
        r = self._query("SELECT COUNT(*), COUNT(DISTINCT NULLIF(code, '')), COALESCE(SUM(accepted), 0), "
                        "COALESCE(SUM(offered), 0) FROM records")[0]
        by_status = {row[0]: row[1] for row in self._query("SELECT status, COUNT(*) FROM records GROUP BY status")}
        by_source = {row[0]: row[1] for row in self._query(
            "SELECT CASE WHEN source LIKE 'community:%' THEN 'community' ELSE source END, COUNT(*) "
            "FROM records GROUP BY 1")}
        top = [[row[0], row[1]] for row in self._query(
            "SELECT code, COUNT(*) FROM records WHERE code != '' GROUP BY code ORDER BY 2 DESC, 1 LIMIT 10")]
        return {"records": r[0], "codes": r[1], "accepted": r[2], "offered": r[3], "by_status": by_status,
                "by_source": by_source, "top_codes": top, "status_over_time": self._status_over_time(),
                "codes_hit": self._codes_hit()}

    def _status_over_time(self) -> list[list]:
        import datetime
        now: dict[int, str] = {}
        counts = {"pending": 0, "approved": 0, "rejected": 0}
        days: dict[str, list] = {}
        for rid, status, ts in self._query(
                "SELECT l.record_id, l.status, l.ts FROM status_log l LEFT JOIN records r ON r.id = l.record_id "
                "WHERE r.source IS NULL OR r.source != 'rustc-error-index' ORDER BY l.ts, l.rowid"):
            old = now.pop(rid, None)
            if old in counts:
                counts[old] -= 1
            if status in counts:
                now[rid] = status
                counts[status] += 1
            day = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d")
            days[day] = [day, counts["pending"], counts["approved"], counts["rejected"]]
        return list(days.values())

    def _codes_hit(self) -> list[dict]:
        out: dict[str, dict] = {}
        for code, kind, n in self._query("SELECT code, kind, COUNT(*) FROM fix_events GROUP BY code, kind"):
            out.setdefault(code, {"code": code, "offered": 0, "accepted": 0})[kind] = n
        for code, status, n in self._query("SELECT code, status, COUNT(*) FROM records "
                                           "WHERE source = 'accepted-fix' GROUP BY code, status"):
            out.setdefault(code, {"code": code, "offered": 0, "accepted": 0})[status] = n
        rows = []
        for d in out.values():
            for st in ("pending", "approved", "rejected"):
                d.setdefault(st, 0)
            d["records"] = d["pending"] + d["approved"] + d["rejected"]
            d["rate"] = round(d["accepted"] / d["offered"], 3) if d["offered"] else None
            rows.append(d)
        rows.sort(key=lambda d: (-d["accepted"], -d["offered"], -d["records"], d["code"]))
        return rows[:30]

    def log_fix(self, codes: Iterable[str], kind: str, front: str = "") -> None:
        """Note verified fixes, one per error code in `codes` ("" for an error without a code): `kind`
        "offered" (shown to a user or returned to an agent) or "accepted" (taken: written, applied,
        recorded); `front` names where ("cli", "lsp", "mcp"). Raises ValueError for another kind, KBError
        when the database cannot be written."""
        if kind not in FIX_EVENTS:
            raise ValueError(f"fix event kind must be one of {FIX_EVENTS}, not {kind!r}")
        now = time.time()
        rows = [(now, str(c or ""), kind, front) for c in codes]
        if rows:
            with self.tx() as c:
                c.executemany("INSERT INTO fix_events(ts, code, kind, front) VALUES (?, ?, ?, ?)", rows)

    def max_seq(self) -> int:
        return self._query("SELECT COALESCE(MAX(seq), 0) FROM changes")[0][0]

    def changes_since(self, seq: int) -> list[tuple[int, int, str]]:
        """(seq, record_id, op) of every change after `seq`, oldest first; op is "upsert" or "delete"."""
        return [tuple(r) for r in self._query("SELECT seq, record_id, op FROM changes WHERE seq > ? ORDER BY seq",
                                              (seq,))]

    def vectors(self, ids: Iterable[int], model: str) -> dict[int, bytes]:
        """Stored dense vectors (float32 bytes) for these records that match their current content."""
        ids = list(ids)
        out: dict[int, bytes] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            rows = self._query(
                f"SELECT v.record_id, v.vec FROM vectors v JOIN records r ON r.id = v.record_id "
                f"WHERE v.model = ? AND v.content_hash = r.content_hash AND v.record_id IN ({','.join('?' * len(part))})",
                (model, *part))
            out.update({r[0]: r[1] for r in rows})
        return out

    def iter_all(self, *, status: Sequence[str] | None = None, batch: int = 1000) -> Iterator[Record]:
        """Every record in id order (optionally only these statuses), read in batches."""
        last = 0
        while True:
            args: list = [last]
            cond = ""
            if status:
                cond = f" AND status IN ({','.join('?' * len(status))})"
                args += list(status)
            rows = self._query(f"SELECT * FROM records WHERE id > ?{cond} ORDER BY id LIMIT {batch}", args)
            if not rows:
                return
            for r in rows:
                yield _row_to_record(r)
            last = rows[-1]["id"]

    def iter_index_rows(self, model: str | None, *, batch: int = 2000) -> Iterator[tuple]:
        """What the search index needs of every record, in id order, without building Records:
        (id, code, status, source, search text (`Record.search_text`), content hash, float32 vector bytes
        of `model` computed from the record's present content, or None). About 4× faster than
        `iter_all` + `vectors` at 100k records."""
        for rows in self.iter_index_batches(model, batch=batch):
            yield from rows

    def iter_index_batches(self, model: str | None, *, batch: int = 2000) -> Iterator[list[tuple]]:
        """`iter_index_rows`'s rows in lists of up to `batch` (one SQL query each)."""
        last = 0
        while True:
            rows = self._query(
                "SELECT r.id, r.code, r.status, r.source, r.message, r.message_norm, r.before, r.content_hash, "
                "v.vec FROM records r LEFT JOIN vectors v ON v.record_id = r.id AND v.model = ? "
                f"AND v.content_hash = r.content_hash WHERE r.id > ? ORDER BY r.id LIMIT {int(batch)}",
                (model or "", last))
            if not rows:
                return
            yield [(r[0], r[1], r[2], r[3], search_text_of(r[1], r[4], r[5], r[6]), r[7], r[8]) for r in rows]
            last = rows[-1][0]

    # -- writes --------------------------------------------------------------------------------
    @staticmethod
    def _existing(c: sqlite3.Connection, ids: Iterable[int]) -> list[int]:
        """`ids` without repeats, in order, once each is known to name a record (checked in `c`'s write
        transaction, so the answer holds until it ends). Raises UnknownIdsError naming the others."""
        wanted = list(dict.fromkeys(ids))
        storable = [i for i in wanted if -MAX_COUNT - 1 <= i <= MAX_COUNT]  # others cannot be row ids
        found: set[int] = set()
        for k in range(0, len(storable), 500):
            part = storable[k:k + 500]
            found.update(r[0] for r in c.execute(
                f"SELECT id FROM records WHERE id IN ({','.join('?' * len(part))})", part))
        missing = [i for i in wanted if i not in found]
        if missing:
            raise UnknownIdsError(missing)
        return wanted

    def _insert(self, c: sqlite3.Connection, rec: Record, seed_key: str | None = None) -> int:
        cur = c.execute(
            f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            (rec.code, rec.message, rec.message_norm, rec.before, rec.after, rec.diff, rec.explanation,
             json.dumps(rec.tags), rec.source, rec.status, rec.retrieved, rec.offered, rec.accepted,
             rec.created, rec.updated, rec.content_hash, seed_key, 0))
        return cur.lastrowid

    def add(self, rec: Record) -> tuple[int, bool]:
        """Insert a validated record; a duplicate (same content hash) increments the existing record's
        `accepted` count instead. Returns (id, inserted)."""
        rec.validate()
        with self.tx() as c:
            row = c.execute("SELECT id FROM records WHERE content_hash = ?", (rec.content_hash,)).fetchone()
            if row:
                c.execute(f"UPDATE records SET accepted = {_capped('accepted + ?')}, updated = ? WHERE id = ?",
                          (max(1, rec.accepted), time.time(), row[0]))
                return row[0], False
            return self._insert(c, rec), True

    def upsert_seed(self, recs: Sequence[tuple[str, Record]]) -> tuple[int, int, int]:
        """Write seed records keyed by a stable `seed_key`: insert new ones, update changed ones that no
        user has curated, leave curated ones alone. Returns (inserted, updated, unchanged)."""
        ins = upd = same = 0
        with self.tx() as c:
            for key, rec in recs:
                row = c.execute("SELECT id, content_hash, curated, explanation FROM records WHERE seed_key = ?",
                                (key,)).fetchone()
                if row is None:
                    dup = c.execute("SELECT id FROM records WHERE content_hash = ?", (rec.content_hash,)).fetchone()
                    if dup:
                        same += 1
                        continue
                    self._insert(c, rec, key)
                    ins += 1
                elif row["curated"] or (row["content_hash"] == rec.content_hash and row["explanation"] == rec.explanation):
                    same += 1
                else:
                    c.execute("UPDATE records SET code=?, message=?, message_norm=?, before=?, after=?, diff=?, "
                              "explanation=?, tags=?, content_hash=?, updated=? WHERE id=?",
                              (rec.code, rec.message, rec.message_norm, rec.before, rec.after, rec.diff,
                               rec.explanation, json.dumps(rec.tags), rec.content_hash, time.time(), row["id"]))
                    upd += 1
        return ins, upd, same

    def set_status(self, ids: Sequence[int], status: str) -> int:
        """Approve/reject/reopen records (marks them curated), all or none: raises UnknownIdsError, changing
        nothing, when an id names no record. Returns how many records (ids without repeats)."""
        if status not in STATUSES:
            raise RecordError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
        with self.tx() as c:
            ids = self._existing(c, ids)
            now = time.time()
            c.executemany("UPDATE records SET status = ?, curated = 1, updated = ? WHERE id = ?",
                          [(status, now, i) for i in ids])
            return len(ids)

    def edit(self, record_id: int, **changes) -> Record:
        """Change a record's content fields (`before`, `after`, `explanation`, `tags`, `message`, `code`);
        recomputes the diff and hash and marks it curated. Raises UnknownIdsError for an unknown id and
        RecordError for invalid values or a change that duplicates another record."""
        allowed = {"before", "after", "explanation", "tags", "message", "code", "status"}
        bad = set(changes) - allowed
        if bad:
            raise RecordError(f"cannot edit {', '.join(sorted(bad))}")
        cur = self.get(record_id)
        if cur is None:
            raise UnknownIdsError([record_id])
        d = cur.to_json()
        d.update(changes)
        for k in ("message_norm", "diff", "content_hash"):
            d.pop(k, None)
        if "message" not in changes:
            d["message_norm"] = cur.message_norm
        new = Record(**{k: v for k, v in d.items() if k != "schema_version"}).validate()
        new.updated = time.time()
        with self.tx() as c:
            try:
                c.execute("UPDATE records SET code=?, message=?, message_norm=?, before=?, after=?, diff=?, "
                          "explanation=?, tags=?, status=?, content_hash=?, updated=?, curated=1 WHERE id=?",
                          (new.code, new.message, new.message_norm, new.before, new.after, new.diff,
                           new.explanation, json.dumps(new.tags), new.status, new.content_hash, new.updated,
                           record_id))
            except sqlite3.IntegrityError as e:
                raise RecordError("the edited record duplicates another record (same content)") from e
        new.id = record_id
        return new

    def delete(self, ids: Sequence[int]) -> int:
        """Delete records, all or none: raises UnknownIdsError, changing nothing, when an id names no
        record. Returns how many (ids without repeats)."""
        with self.tx() as c:
            ids = self._existing(c, ids)
            c.executemany("DELETE FROM records WHERE id = ?", [(i,) for i in ids])
            return len(ids)

    def merge(self, survivor: int, others: Sequence[int]) -> Record:
        """Fold duplicates into `survivor`: counts summed (at most MAX_COUNT), tags united, the others
        deleted. All or nothing: UnknownIdsError when an id names no record, RecordError when the united
        tags would pass MAX_TAGS."""
        with self.tx() as c:
            others = [o for o in self._existing(c, [survivor, *others]) if o != survivor]
            keep = c.execute("SELECT * FROM records WHERE id = ?", (survivor,)).fetchone()
            tags = set(json.loads(keep["tags"]))
            sums = [keep["retrieved"], keep["offered"], keep["accepted"]]
            for o in others:
                row = c.execute("SELECT * FROM records WHERE id = ?", (o,)).fetchone()
                tags |= set(json.loads(row["tags"]))
                sums = [min(MAX_COUNT, s + row[k]) for s, k in zip(sums, ("retrieved", "offered", "accepted"))]
                c.execute("DELETE FROM records WHERE id = ?", (o,))
            if len(tags) > MAX_TAGS:
                raise RecordError(f"tags: the merged record would have {len(tags)} tags, over the limit of "
                                  f"{MAX_TAGS} (nothing changed)")
            c.execute("UPDATE records SET tags=?, retrieved=?, offered=?, accepted=?, curated=1, updated=? WHERE id=?",
                      (json.dumps(sorted(tags)), *sums, time.time(), survivor))
        return self.get(survivor)

    def bump(self, ids: Iterable[int], field: str, by: int = 1) -> None:
        """Add `by` to a counter (`retrieved`, `offered`, `accepted`) of these records (at most MAX_COUNT);
        ids that name no record (deleted meanwhile) are passed over."""
        if field not in ("retrieved", "offered", "accepted"):
            raise ValueError(field)
        ids = list(ids)
        if not ids:
            return
        with self.tx() as c:
            c.executemany(f"UPDATE records SET {field} = {_capped(f'{field} + ?')} WHERE id = ?",
                          [(by, i) for i in ids])

    def put_vectors(self, items: Sequence[tuple[int, str, bytes]], model: str) -> None:
        """Store dense vectors: (record id, content hash it was computed from, float32 bytes)."""
        with self.tx() as c:
            c.executemany("INSERT OR REPLACE INTO vectors(record_id, model, content_hash, vec) VALUES (?,?,?,?)",
                          [(i, model, h, v) for i, h, v in items])

    def import_records(self, lines: Iterable[tuple[int, Record | Exception]], *, skip_invalid: bool = False,
                       batch: int = 0) -> tuple[int, int, list[tuple[int, str]]]:
        """Import parsed JSONL lines `(line number, Record or the error it raised)`.

        All or nothing: with any invalid line and not `skip_invalid`, KBImportError is raised and nothing
        is written. Every Record is validated (again) before the transaction, so that no value reaches SQLite
        that it cannot hold; one that fails counts as an invalid line. Duplicates (same content hash) add
        their counts to the existing record (at most MAX_COUNT). One transaction for the whole file, so a
        crash leaves either all or none of it. Returns (inserted, merged duplicates, skipped errors)."""
        items = [(n, _validated(r)) for n, r in lines]
        errors = [(n, str(r)) for n, r in items if isinstance(r, Exception)]
        if errors and not skip_invalid:
            raise KBImportError(errors)
        ins = dup = 0
        with self.tx() as c:
            for _, rec in items:
                if isinstance(rec, Exception):
                    continue
                row = c.execute("SELECT id FROM records WHERE content_hash = ?", (rec.content_hash,)).fetchone()
                if row:
                    c.execute(f"UPDATE records SET retrieved = {_capped('retrieved + ?')}, "
                              f"offered = {_capped('offered + ?')}, accepted = {_capped('accepted + ?')} WHERE id = ?",
                              (rec.retrieved, rec.offered, rec.accepted, row[0]))
                    dup += 1
                else:
                    self._insert(c, rec)
                    ins += 1
        return ins, dup, errors


def _validated(rec: Record | Exception) -> Record | Exception:
    """`rec` when it is a valid Record, else the error (the Exception given, or the RecordError raised)."""
    if isinstance(rec, Exception):
        return rec
    try:
        return rec.validate()
    except RecordError as e:
        return e


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers hold `;` inside BEGIN … END)."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf))
    return out
