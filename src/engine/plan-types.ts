// The serialisable, versioned Plan: what `plan --save` writes, what `apply` reads back and what the
// journal records at the start of a run.
import type { Change } from "../actions/action.js";
import type { RecordedDecision } from "../io/recording-prompter.js";

export const PLAN_VERSION = 1;

export interface PlanStep {
  id: string;
  title: string;
  why?: string | undefined;
  action: string;
  confirm: boolean;
  continueOnError: boolean;
  /** Set when the step's `when` is false: the reason it does not run. */
  skipped?: string | undefined;
  changes: Change[];
  notes: string[];
  /** PlanResult.attention of the step: shown at the top of the plan, before the steps. */
  attention?: string[] | undefined;
  /**
   * Set when the step was planned with a prompter: the operator's answers, in the order asked. `apply` replays them
   * when it re-plans the step against live state, and honours each only if it is among the choices offered now.
   */
  decisions?: RecordedDecision[] | undefined;
}

/**
 * On the plan of a `vonage-ir restore` run: the run it reverses, and what of that run it does not reverse itself
 * (its steps hold the changes it does).
 */
export interface RestoreOf {
  runId: string;
  /** Changes no API reverses: the exact instruction for a person who wants them reversed. */
  manual: { changeId: string; summary: string; instructions: string }[];
  /** Changes that stay as they are (a revoked secret, a replaced key, a deleted application), with why. */
  irreversible: { changeId: string; summary: string; reason: string }[];
  /** `restore --accept-broken-journal`: where the reversed run's hash chain broke when this restore planned from it. */
  acceptedBrokenJournal?: { line: number; reason: string } | undefined;
}

export interface Plan {
  version: number;
  runbook: { id: string; title: string; version: string | number; file: string; hash: string };
  configHash: string;
  account: string;
  createdAt: string;
  /** Input values (redacted) the plan was made with. */
  inputs: Record<string, unknown>;
  steps: PlanStep[];
  restoreOf?: RestoreOf | undefined;
}
