import { expect } from 'vitest';

/** Asserts a problem+json answer with the contract's status and code. */
export function expectProblem(reply: { status: number; body: any; headers: any }, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
}
