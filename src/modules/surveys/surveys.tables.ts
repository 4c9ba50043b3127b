import type { ColumnType } from 'kysely';
import type { CreatedAt } from '../../db/columns.js';

/** The tables of the surveys module (满意度测评): surveys and the owners' responses. */
export interface SurveysTables {
  surveys: SurveysTable;
  survey_responses: SurveyResponsesTable;
}

export interface SurveyItem {
  key: string;
  label: string;
}

export interface SurveysTable {
  community_id: string;
  id: string;
  title: string;
  period: string;
  closes_at: Date;
  items: ColumnType<SurveyItem[], string, never>;
  created_by: string;
  created_at: CreatedAt;
}

export interface SurveyResponsesTable {
  community_id: string;
  survey_id: string;
  user_id: string;
  scores: ColumnType<Record<string, number>, string, never>;
  comment: string | null;
  at: ColumnType<Date, Date | undefined, never>;
}
