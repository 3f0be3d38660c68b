// Auto-reload keeps refilling the balance an attacker is burning. There is no API to switch it off: read it,
// ask the operator to switch it off in the dashboard, then verify by reading it back until it is off.
import { z } from "zod";
import type { Action, ActionContext, Verifier } from "./action.js";
import { manualDraft, runManualChange } from "./manual.js";

export const disableAutoreloadParams = z.strictObject({
  /** How long an interactive run waits for auto-reload to read as off after the operator says done. */
  timeoutSeconds: z.number().int().min(0).max(3600).default(120),
  pollSeconds: z.number().min(0.05).max(60).default(3),
});

export const AUTORELOAD_INSTRUCTIONS = `In the Vonage API Dashboard: Billing & payments → Auto reload → switch auto-reload OFF.
Why: while it is on, every top-up the fraud triggers is charged to your card. There is no API for this
switch; vonage-ir reads the balance API until it reports autoReload: false.`;

/** Reads auto-reload until it is off: polls while a person is at the terminal, reads once otherwise. */
export function autoreloadOffVerifier(options: { timeoutSeconds: number; pollSeconds: number }): Verifier {
  return {
    id: "autoreload.off",
    description: "auto-reload reads as off through the balance API",
    async verify(ctx: ActionContext) {
      const deadline = ctx.clock.now().getTime() + (ctx.prompter ? options.timeoutSeconds * 1000 : 0);
      let polls = 0;
      const poll = async (): Promise<{ ok: boolean; detail: string }> => {
        for (;;) {
          const balance = await ctx.gateway.getBalance();
          polls++;
          if (!balance.autoReload) return { ok: true, detail: `autoReload is false (read ${polls} time(s))` };
          if (ctx.clock.now().getTime() >= deadline || ctx.signal.aborted) {
            return {
              ok: false,
              detail: ctx.prompter
                ? `autoReload still reads true after ${options.timeoutSeconds}s: check the dashboard switch`
                : "autoReload reads true",
            };
          }
          await ctx.clock.sleep(options.pollSeconds * 1000, ctx.signal);
        }
      };
      const prompter = ctx.prompter;
      if (!prompter) return poll();
      return prompter.wait(
        `waiting for the balance API to report auto-reload off (up to ${options.timeoutSeconds}s)`,
        poll,
      );
    },
  };
}

export const disableAutoreload: Action<z.infer<typeof disableAutoreloadParams>> = {
  id: "autoreload.disable",
  title: "Disable auto-reload (dashboard) and verify it through the API",
  why: "auto-reload refills the balance the fraud is spending",
  params: disableAutoreloadParams,
  async plan(ctx, params) {
    const balance = await ctx.gateway.getBalance();
    if (!balance.autoReload) return { changes: [], notes: ["auto-reload is already off"] };
    const draft = manualDraft(ctx.step.id, "Switch auto-reload off in the dashboard", {
      instructions: AUTORELOAD_INSTRUCTIONS,
      evidence: [],
      verify: "autoreload.off",
    });
    return {
      changes: [
        {
          ...draft,
          id: "switch-off",
          before: { autoReload: true },
          after: { autoReload: false },
          params: { ...draft.params, ...params },
        },
      ],
      notes: [`balance ${balance.value.toFixed(2)} EUR, auto-reload ON`],
    };
  },
  describe: () => "manual: switch auto-reload off in the dashboard (then verified through the balance API)",
  undo: () => ({
    kind: "manual",
    instructions:
      "Only if you want auto-reload back, and once the fraudulent traffic has stopped: in the Vonage API Dashboard, Billing & payments → Auto reload → switch auto-reload ON. There is no API for this switch.",
  }),
  apply(ctx, change) {
    const timeoutSeconds = Number(change.params.timeoutSeconds ?? 120);
    const pollSeconds = Number(change.params.pollSeconds ?? 3);
    const verifier = autoreloadOffVerifier({ timeoutSeconds, pollSeconds });
    return runManualChange(ctx, change, new Map([[verifier.id, verifier]]));
  },
};
