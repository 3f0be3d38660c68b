// The one definition of "loopback" the simulator uses, both for where it may listen and for which webhook URLs
// it may fetch.

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
