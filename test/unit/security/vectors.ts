// The worked vectors from shared/vonage-api-notes.md section 10.
export const SIGNATURE_SECRET = "TestSignatureSecret-0123456789ABCDEF";

export const BODY =
  '{"message_uuid":"aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab","to":"447700900000","from":"447700900001","status":"delivered","timestamp":"2024-01-01T00:00:00Z"}';
export const PAYLOAD_HASH = "682c2247fc8bf5831c5ff49ee9d036c5d0db8063f9e1d85754ffa87e8b54f27c";
export const IAT = 1700000000;
export const NOW = new Date(IAT * 1000);
export const API_KEY = "abcd1234";
export const APPLICATION_ID = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";
export const CLAIMS = {
  iat: IAT,
  jti: "c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5",
  iss: "Vonage",
  payload_hash: PAYLOAD_HASH,
  api_key: API_KEY,
  application_id: APPLICATION_ID,
};
export const TOKEN =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6IjY4MmMyMjQ3ZmM4YmY1ODMxYzVmZjQ5ZWU5ZDAzNmM1ZDBkYjgwNjNmOWUxZDg1NzU0ZmZhODdlOGI1NGYyN2MiLCJhcGlfa2V5IjoiYWJjZDEyMzQiLCJhcHBsaWNhdGlvbl9pZCI6ImFhYWFhYWFhLWJiYmItY2NjYy1kZGRkLTAxMjM0NTY3ODlhYiJ9.-B2kQm5yUxiRgEvl2ji76wXgBZIw67T5L8gK-vCv9Ng";

export const SMS_PARAMS: Record<string, string> = {
  msisdn: "447700900001",
  to: "447700900000",
  messageId: "0A0000000123ABCD1",
  text: "Hello & welcome=yes",
  type: "text",
  keyword: "HELLO",
  "message-timestamp": "2024-01-01 00:00:00",
  timestamp: "1700000000",
  nonce: "abc123",
};
export const SMS_BASE_STRING =
  "&keyword=HELLO&message-timestamp=2024-01-01 00:00:00&messageId=0A0000000123ABCD1&msisdn=447700900001&nonce=abc123&text=Hello _ welcome_yes&timestamp=1700000000&to=447700900000&type=text";
export const SMS_SHA256HMAC = "9f0826dd09c60295b4f213aa74455934c5121fe2d5f6f4f310de9226cfb614e8";
export const SMS_MD5HASH = "5b7da3c84d6ddfd654bb80030654098d";
