// The per-user state directory that holds the account locks, so runs with different `--out` directories
// still see each other: $VONAGE_IR_STATE_DIR, else $XDG_STATE_HOME/vonage-ir, else ~/.local/state/vonage-ir.
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

export function stateDirectory(env: Record<string, string | undefined>): string {
  const explicit = env.VONAGE_IR_STATE_DIR?.trim();
  if (explicit) return explicit;
  const xdg = env.XDG_STATE_HOME?.trim();
  // the XDG spec: a relative path is invalid and must be ignored
  if (xdg && isAbsolute(xdg)) return join(xdg, "vonage-ir");
  return join(env.HOME?.trim() || homedir(), ".local", "state", "vonage-ir");
}
