// Turns an SDK rejection (VetchError, whose `response` is the unread fetch Response) into status + body, so
// tests can assert on what the API answered without ever printing the error (its config holds the secret).

export interface SdkFailure {
  status: number;
  body: unknown;
}

export async function sdkFailure(promise: Promise<unknown>): Promise<SdkFailure> {
  try {
    await promise;
  } catch (err) {
    const response = (err as { response?: { status: number; text(): Promise<string> } }).response;
    if (!response) throw new Error(`expected an HTTP error, got ${String((err as Error).message)}`);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, body };
  }
  throw new Error("expected the call to fail");
}
