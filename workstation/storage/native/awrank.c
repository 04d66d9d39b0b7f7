/*
** awrank: a faster, exact replacement for FTS5's bm25() ranking function.
**
** Why: at 100,000 captures a broad search ("boat", "whats*") matches 20-45 % of
** the index, and FTS5's bm25() spends about 80 % of its time in one call per
** matching row, xColumnSize(), which runs a nested SQL statement against the
** table's %_docsize shadow table to learn the row's length in tokens.
**
** What: aw_bm25(tbl, 'tbl', w0, w1, ...) returns exactly what
** bm25(tbl, w0, w1, ...) returns -- the same formula (k1 = 1.2, b = 0.75, the
** same IDF floor of 1e-6, per-column weights, negated so that ORDER BY gives
** the best match first; see SQLite's ext/fts5/fts5_aux.c, public domain) -- but
** reads row lengths from an in-memory copy of %_docsize, loaded once per
** connection and reloaded whenever the database may have changed:
**
**   - PRAGMA data_version changed (another connection committed), or
**   - sqlite3_total_changes() changed (this connection wrote), or
**   - the table named is not the one cached;
**
** and it is neither loaded nor used inside a write transaction (a rollback
** would leave it wrong).
**
** A stale copy is reloaded only once a query has ranked an eighth of the rows;
** until then (and for a query that never ranks that many: the workstation ranks
** 1,000 matches at most, see ranking.py's CANDIDATES) lengths are looked up
** through xColumnSize(), as bm25() does.  So are those of a row missing from the
** copy, and of a table without %_docsize (columnsize=0).  Each phrase's rows are
** counted for its IDF only up to half the table: from there on the IDF is bm25's
** floor, 1e-6.  The answer is always bm25()'s: the test
** suite compares the two on real workspaces, before and after writes.
**
** The file is both a SQLite loadable extension (entry point
** sqlite3_awrank_init) and, so that setuptools can build and install it like
** any other compiled module, a Python extension module workstation._awrank
** that defines nothing.  workstation/ranking.py loads it into each connection.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <math.h>
#include <string.h>

#ifdef _WIN32
#define AW_EXPORT __declspec(dllexport)
#else
#define AW_EXPORT
#endif

/* Row lengths of one FTS5 table, sorted by rowid. */
typedef struct LengthCache {
  char *zTable;            /* table the lengths belong to (NULL: none loaded) */
  sqlite3_int64 *aRowid;
  int *aLen;
  int nRow;
  int nAlloc;
  /* The same lengths indexed by rowid - iMin (-1: no such row), when the rowids are
  ** dense enough (captures are numbered 1, 2, 3 ...): one look-up instead of a
  ** binary search through the whole table for every row ranked. */
  int *aByRowid;
  sqlite3_int64 iMin;
  sqlite3_int64 nByRowid;
  int bNoDocsize;          /* the table has no %_docsize: always use xColumnSize */
  sqlite3_int64 iDataVersion;
  sqlite3_int64 nChanges;
} LengthCache;

/* Column weights read once a row (more columns are read as bm25() reads them). */
#define AW_MAX_WEIGHTS 8

/* Per-query data, kept with xSetAuxdata like bm25()'s own. */
typedef struct QueryData {
  int nPhrase;
  int bUseCache;           /* row lengths from the cache (else xColumnSize) */
  int bTried;              /* a reload of a stale cache was tried during this query */
  sqlite3_int64 nRow;      /* rows in the table */
  sqlite3_int64 nRanked;   /* rows ranked so far (while the cache is not used) */
  double avgdl;
  double *aIDF;
  double *aFreq;
} QueryData;

/* A SQLite varint (as FTS5 writes column sizes). Returns bytes read, 0 if bad. */
static int aw_get_varint(const unsigned char *p, int n, sqlite3_uint64 *pVal){
  sqlite3_uint64 v = 0;
  int i;
  for(i = 0; i < n && i < 9; i++){
    if( i == 8 ){
      *pVal = (v << 8) | p[i];
      return 9;
    }
    v = (v << 7) | (p[i] & 0x7f);
    if( (p[i] & 0x80) == 0 ){
      *pVal = v;
      return i + 1;
    }
  }
  return 0;
}

static int aw_single_int(sqlite3 *db, const char *zSql, sqlite3_int64 *pOut){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  if( rc == SQLITE_OK ){
    rc = sqlite3_step(pStmt);
    if( rc == SQLITE_ROW ){
      *pOut = sqlite3_column_int64(pStmt, 0);
      rc = SQLITE_OK;
    }else if( rc == SQLITE_DONE ){
      rc = SQLITE_ERROR;
    }
  }
  sqlite3_finalize(pStmt);
  return rc;
}

static void aw_cache_clear(LengthCache *p){
  sqlite3_free(p->zTable);
  p->zTable = 0;
  sqlite3_free(p->aByRowid);
  p->aByRowid = 0;
  p->nByRowid = 0;
  p->nRow = 0;
  p->bNoDocsize = 0;
}

/* Make sure the cache holds the current lengths of table zTable, and set *pbUse.
**
** A stale cache is reloaded only when bWorthIt: reading every row's length
** costs about a fifth of what looking one up through xColumnSize does, so until a
** query has ranked an eighth of the rows (bWorthIt false) the cache is left stale,
** unused. */
static int aw_cache_refresh(LengthCache *p, sqlite3 *db, const char *zTable,
                            int bWorthIt, int *pbUse){
  sqlite3_int64 iVersion = 0;
  sqlite3_int64 nChanges = sqlite3_total_changes(db);
  sqlite3_stmt *pStmt = 0;
  char *zSql;
  int rc;

  *pbUse = 0;
  /* Inside a write transaction lengths may change and then be rolled back, which
  ** neither data_version nor total_changes would show: look them up instead. */
  if( sqlite3_txn_state(db, "main") == SQLITE_TXN_WRITE ) return SQLITE_OK;
  rc = aw_single_int(db, "PRAGMA data_version", &iVersion);
  if( rc != SQLITE_OK ) return rc;
  if( p->zTable && strcmp(p->zTable, zTable) == 0
   && p->iDataVersion == iVersion && p->nChanges == nChanges ){
    *pbUse = !p->bNoDocsize;
    return SQLITE_OK;
  }
  if( !bWorthIt ) return SQLITE_OK;
  aw_cache_clear(p);
  zSql = sqlite3_mprintf("SELECT id, sz FROM \"%w_docsize\" ORDER BY id", zTable);
  if( zSql == 0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  sqlite3_free(zSql);
  if( rc != SQLITE_OK ){
    /* No %_docsize (columnsize=0): rank through xColumnSize. */
    sqlite3_finalize(pStmt);
    p->bNoDocsize = 1;
  }else{
    while( (rc = sqlite3_step(pStmt)) == SQLITE_ROW ){
      const unsigned char *a = (const unsigned char *)sqlite3_column_blob(pStmt, 1);
      int nByte = sqlite3_column_bytes(pStmt, 1);
      int iOff = 0;
      sqlite3_uint64 nTotal = 0;
      while( iOff < nByte ){
        sqlite3_uint64 v = 0;
        int k = aw_get_varint(&a[iOff], nByte - iOff, &v);
        if( k == 0 ) break;
        iOff += k;
        nTotal += v;
      }
      if( p->nRow == p->nAlloc ){
        int nNew = p->nAlloc ? p->nAlloc * 2 : 4096;
        sqlite3_int64 *aRowid = sqlite3_realloc64(p->aRowid, sizeof(sqlite3_int64) * nNew);
        int *aLen;
        if( aRowid == 0 ){ rc = SQLITE_NOMEM; break; }
        p->aRowid = aRowid;
        aLen = sqlite3_realloc64(p->aLen, sizeof(int) * nNew);
        if( aLen == 0 ){ rc = SQLITE_NOMEM; break; }
        p->aLen = aLen;
        p->nAlloc = nNew;
      }
      p->aRowid[p->nRow] = sqlite3_column_int64(pStmt, 0);
      p->aLen[p->nRow] = (int)nTotal;
      p->nRow++;
    }
    sqlite3_finalize(pStmt);
    if( rc != SQLITE_DONE ){
      aw_cache_clear(p);
      return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
    }
  }
  if( p->nRow > 0 ){
    sqlite3_int64 nSpan = p->aRowid[p->nRow - 1] - p->aRowid[0] + 1;
    if( nSpan > 0 && nSpan <= 4 * (sqlite3_int64)p->nRow + 4096 ){
      p->aByRowid = sqlite3_malloc64(sizeof(int) * nSpan);
      if( p->aByRowid ){
        int i;
        memset(p->aByRowid, 0xff, sizeof(int) * nSpan);  /* -1 */
        for(i = 0; i < p->nRow; i++) p->aByRowid[p->aRowid[i] - p->aRowid[0]] = p->aLen[i];
        p->iMin = p->aRowid[0];
        p->nByRowid = nSpan;
      }  /* out of memory: the binary search still answers */
    }
  }
  p->zTable = sqlite3_mprintf("%s", zTable);
  if( p->zTable == 0 ){
    aw_cache_clear(p);
    return SQLITE_NOMEM;
  }
  p->iDataVersion = iVersion;
  p->nChanges = nChanges;
  *pbUse = !p->bNoDocsize;
  return SQLITE_OK;
}

static int aw_cache_find(const LengthCache *p, sqlite3_int64 iRowid, int *pLen){
  int lo = 0, hi = p->nRow - 1;
  if( p->aByRowid ){
    sqlite3_int64 k = iRowid - p->iMin;
    if( k < 0 || k >= p->nByRowid || p->aByRowid[k] < 0 ) return 0;
    *pLen = p->aByRowid[k];
    return 1;
  }
  while( lo <= hi ){
    int mid = lo + (hi - lo) / 2;
    if( p->aRowid[mid] == iRowid ){
      *pLen = p->aLen[mid];
      return 1;
    }
    if( p->aRowid[mid] < iRowid ) lo = mid + 1; else hi = mid - 1;
  }
  return 0;
}

/* Counts a phrase's rows for its IDF, and stops (SQLITE_DONE: xQueryPhrase then returns
** SQLITE_OK) once they are half the table: from there on the IDF is the floor, 1e-6,
** whatever the rest, so a common word costs half a walk through its rows, not all. */
typedef struct HitCount {
  sqlite3_int64 nHit;
  sqlite3_int64 nRow;
} HitCount;

static int aw_count_cb(const Fts5ExtensionApi *pApi, Fts5Context *pFts, void *pUser){
  HitCount *p = (HitCount *)pUser;
  (void)pApi; (void)pFts;
  p->nHit++;
  return 2 * p->nHit >= p->nRow ? SQLITE_DONE : SQLITE_OK;
}

/* The per-query constants, exactly as fts5_aux.c's fts5Bm25GetData. */
static int aw_query_data(const Fts5ExtensionApi *pApi, Fts5Context *pFts,
                         sqlite3_context *pCtx, const char *zTable, QueryData **ppOut){
  LengthCache *pCache = (LengthCache *)pApi->xUserData(pFts);
  QueryData *p = (QueryData *)pApi->xGetAuxdata(pFts, 0);
  sqlite3_int64 nRow = 0, nToken = 0;
  int nPhrase, i, rc;

  if( p ){
    *ppOut = p;
    return SQLITE_OK;
  }
  nPhrase = pApi->xPhraseCount(pFts);
  p = sqlite3_malloc64(sizeof(QueryData) + sizeof(double) * 2 * (nPhrase ? nPhrase : 1));
  if( p == 0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(QueryData));
  p->nPhrase = nPhrase;
  p->aIDF = (double *)&p[1];
  p->aFreq = &p->aIDF[nPhrase];
  rc = pApi->xRowCount(pFts, &nRow);
  if( rc == SQLITE_OK ) rc = pApi->xColumnTotalSize(pFts, -1, &nToken);
  if( rc == SQLITE_OK ) p->avgdl = (double)nToken / (double)nRow;
  for(i = 0; rc == SQLITE_OK && i < nPhrase; i++){
    HitCount count = {0, nRow};
    sqlite3_int64 nHit;
    rc = pApi->xQueryPhrase(pFts, i, (void *)&count, aw_count_cb);
    nHit = count.nHit;
    if( rc == SQLITE_OK ){
      double idf = log((nRow - nHit + 0.5) / (nHit + 0.5));
      if( idf <= 0.0 ) idf = 1e-6;
      p->aIDF[i] = idf;
    }
  }
  p->nRow = nRow;
  if( rc == SQLITE_OK ){
    /* A current cache is used; a stale one is reloaded once the query has ranked an
    ** eighth of the rows (aw_bm25), not before: a query matching few rows never pays
    ** for it, however common its words. */
    rc = aw_cache_refresh(pCache, sqlite3_context_db_handle(pCtx), zTable, 0,
                          &p->bUseCache);
  }
  if( rc == SQLITE_OK ){
    rc = pApi->xSetAuxdata(pFts, p, sqlite3_free);  /* frees p itself on failure */
  }else{
    sqlite3_free(p);
  }
  if( rc == SQLITE_OK ) *ppOut = p;
  return rc;
}

static void aw_bm25(const Fts5ExtensionApi *pApi, Fts5Context *pFts, sqlite3_context *pCtx,
                    int nVal, sqlite3_value **apVal){
  const double k1 = 1.2;
  const double b = 0.75;
  LengthCache *pCache = (LengthCache *)pApi->xUserData(pFts);
  QueryData *p = 0;
  const char *zTable;
  double score = 0.0;
  double aWeight[AW_MAX_WEIGHTS];
  int nTok = 0, i, rc;

  if( nVal < 1 || (zTable = (const char *)sqlite3_value_text(apVal[0])) == 0 ){
    sqlite3_result_error(pCtx, "aw_bm25: the second argument must be the table's name", -1);
    return;
  }
  rc = aw_query_data(pApi, pFts, pCtx, zTable, &p);
  /* Each phrase's instances, weighted by their column (bm25 walks the same ones with
  ** xInst, which first merges every phrase's instances into one sorted array). */
  for(i = 0; i < AW_MAX_WEIGHTS; i++){
    aWeight[i] = (nVal - 1 > i) ? sqlite3_value_double(apVal[i + 1]) : 1.0;
  }
  for(i = 0; rc == SQLITE_OK && i < p->nPhrase; i++){
    Fts5PhraseIter iter;
    int ic = 0, io = 0;
    double freq = 0.0;
    rc = pApi->xPhraseFirst(pFts, i, &iter, &ic, &io);
    while( rc == SQLITE_OK && ic >= 0 ){
      freq += (ic < AW_MAX_WEIGHTS) ? aWeight[ic]
            : (nVal - 1 > ic) ? sqlite3_value_double(apVal[ic + 1]) : 1.0;
      pApi->xPhraseNext(pFts, &iter, &ic, &io);
    }
    p->aFreq[i] = freq;
  }
  if( rc == SQLITE_OK && !p->bUseCache && !p->bTried && ++p->nRanked * 8 >= p->nRow ){
    p->bTried = 1;
    rc = aw_cache_refresh(pCache, sqlite3_context_db_handle(pCtx), zTable, 1,
                          &p->bUseCache);
  }
  if( rc == SQLITE_OK
   && !(p->bUseCache && aw_cache_find(pCache, pApi->xRowid(pFts), &nTok)) ){
    rc = pApi->xColumnSize(pFts, -1, &nTok);
  }
  if( rc != SQLITE_OK ){
    sqlite3_result_error_code(pCtx, rc);
    return;
  }
  for(i = 0; i < p->nPhrase; i++){
    score += p->aIDF[i] * (p->aFreq[i] * (k1 + 1.0))
           / (p->aFreq[i] + k1 * (1 - b + b * (double)nTok / p->avgdl));
  }
  sqlite3_result_double(pCtx, -1.0 * score);
}

static void aw_cache_destroy(void *pv){
  LengthCache *p = (LengthCache *)pv;
  aw_cache_clear(p);
  sqlite3_free(p->aRowid);
  sqlite3_free(p->aLen);
  sqlite3_free(p);
}

AW_EXPORT int sqlite3_awrank_init(sqlite3 *db, char **pzErr, const sqlite3_api_routines *pApi){
  fts5_api *pFts5 = 0;
  sqlite3_stmt *pStmt = 0;
  LengthCache *pCache;
  int rc;

  SQLITE_EXTENSION_INIT2(pApi);
  rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &pStmt, 0);
  if( rc == SQLITE_OK ){
    sqlite3_bind_pointer(pStmt, 1, (void *)&pFts5, "fts5_api_ptr", 0);
    sqlite3_step(pStmt);
  }
  sqlite3_finalize(pStmt);
  if( pFts5 == 0 ){
    *pzErr = sqlite3_mprintf("awrank: this SQLite has no FTS5");
    return SQLITE_ERROR;
  }
  pCache = sqlite3_malloc64(sizeof(LengthCache));
  if( pCache == 0 ) return SQLITE_NOMEM;
  memset(pCache, 0, sizeof(LengthCache));
  /* On failure xCreateFunction does not call the destructor. */
  rc = pFts5->xCreateFunction(pFts5, "aw_bm25", (void *)pCache, aw_bm25, aw_cache_destroy);
  if( rc != SQLITE_OK ) aw_cache_destroy(pCache);
  return rc;
}

/* ---------------------------------------------------------------- Python */
static struct PyModuleDef aw_module = {
  PyModuleDef_HEAD_INIT, "_awrank",
  "SQLite loadable extension: the FTS5 ranking function aw_bm25 "
  "(load this file with Connection.load_extension; see workstation/ranking.py).",
  -1, NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__awrank(void){
  return PyModule_Create(&aw_module);
}
