// The Ariel search lifecycle: POST /ariel/searches creates a search (201, status WAIT), it runs
// for `searchDurationMs` (WAIT -> EXECUTE -> COMPLETED) and its rows are fixed when it is created,
// so an offense whose events are not yet visible (the configured lag) yields an empty, completed
// search, exactly what a client with bounded retry has to cope with on a real console.
// Status objects mirror xsoar_ariel_search_lifecycle.json field for field.

import { randomUUID } from 'node:crypto';
import { executeAql, parseAql, type AqlQuery, type AqlRow } from './aql';
import { errors } from './errors';

export interface SearchRecord {
  id: string;
  queryString: string;
  database: AqlQuery['database'];
  createdAt: number;
  completeAt: number;
  rows: Record<string, unknown>[];
  deleted: boolean;
}

export type SearchStatus = 'WAIT' | 'EXECUTE' | 'SORTING' | 'COMPLETED' | 'CANCELED' | 'ERROR';

export interface EventSource {
  /** Rows visible now for one offense, or for every offense when `offenseId` is undefined. */
  visibleRows(offenseId: number | undefined): AqlRow[];
}

export class ArielSearches {
  private readonly searches = new Map<string, SearchRecord>();

  constructor(
    private readonly now: () => number,
    private readonly durationMs: () => number,
  ) {}

  clear(): void {
    this.searches.clear();
  }

  create(queryExpression: string | undefined, savedSearchId: string | undefined, events: EventSource): Record<string, unknown> {
    if ((queryExpression === undefined) === (savedSearchId === undefined)) {
      throw errors.invalidParameter('Exactly one parameter is required.');
    }
    if (queryExpression === undefined) {
      throw errors.notFound('The Ariel saved search does not exist.', `No Saved Search found with id: ${savedSearchId ?? ''}`);
    }
    const query = parseAql(queryExpression);
    const now = this.now();
    const candidates = query.database === 'events' ? events.visibleRows(query.offenseId) : [];
    const search: SearchRecord = {
      id: randomUUID(),
      queryString: queryExpression,
      database: query.database,
      createdAt: now,
      completeAt: now + this.durationMs(),
      rows: executeAql(query, candidates, now),
      deleted: false,
    };
    this.searches.set(search.id, search);
    return this.view(search, 'WAIT');
  }

  find(id: string): SearchRecord {
    const search = this.searches.get(id);
    if (!search || search.deleted) throw errors.notFound('The search does not exist.', `Query ${id} does not exist`);
    return search;
  }

  isComplete(search: SearchRecord): boolean {
    return this.now() >= search.completeAt;
  }

  status(id: string): Record<string, unknown> {
    const search = this.find(id);
    return this.view(search, this.currentStatus(search));
  }

  /** Rows of a completed search; 404 code 1003 while it is still running, as IBM documents. */
  results(id: string): { key: string; rows: Record<string, unknown>[] } {
    const search = this.find(id);
    if (!this.isComplete(search)) {
      throw errors.notFound('Search results not found. The search is still in progress.', `Search ${id} is still in progress`, 1003);
    }
    return { key: search.database, rows: search.rows };
  }

  delete(id: string): Record<string, unknown> {
    const search = this.find(id);
    const view = this.view(search, this.currentStatus(search));
    search.deleted = true;
    return view;
  }

  private currentStatus(search: SearchRecord): SearchStatus {
    const now = this.now();
    if (now >= search.completeAt) return 'COMPLETED';
    return now >= search.createdAt + (search.completeAt - search.createdAt) / 2 ? 'EXECUTE' : 'WAIT';
  }

  private view(search: SearchRecord, status: SearchStatus): Record<string, unknown> {
    const completed = status === 'COMPLETED';
    const progress = completed ? 100 : status === 'EXECUTE' ? 50 : 0;
    const records = completed ? search.rows.length : 0;
    return {
      cursor_id: search.id,
      status,
      compressed_data_file_count: 0,
      compressed_data_total_size: 0,
      data_file_count: completed ? 1 : 0,
      data_total_size: completed ? JSON.stringify(search.rows).length : 0,
      index_file_count: 0,
      index_total_size: 0,
      processed_record_count: records,
      desired_retention_time_msec: 86_400_000,
      progress,
      progress_details: [],
      query_execution_time: completed ? search.completeAt - search.createdAt : 0,
      query_string: search.queryString,
      record_count: records,
      size_on_disk: completed ? JSON.stringify(search.rows).length : 0,
      save_results: false,
      completed,
      subsearch_ids: [],
      snapshot: null,
      search_id: search.id,
    };
  }
}
