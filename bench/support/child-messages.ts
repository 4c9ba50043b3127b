import type { ChildProcess } from 'node:child_process';

/**
 * How a bench talks to the helper processes it forks (the stream holders, the probe): a
 * message with a `type`, answered by one message of the same type, or by one carrying `error`.
 * Holding streams or probing in processes of their own keeps their work out of the load
 * generator's event loop and out of the figures.
 */

/** Sends `message` and waits for the child's answer of the same type. */
export function ask<T = unknown>(child: ChildProcess, message: { type: string; [key: string]: unknown }): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: { type: string; error?: string } & T) => {
      if (reply.type !== message.type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (reply.error) reject(new Error(reply.error));
      else resolve(reply);
    };
    const onExit = (code: number | null) => reject(new Error(`the child asked to ${message.type} exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}

/** In the child: answers each message with its handler's result (or its error). */
export function answer(handlers: Record<string, (message: any) => Promise<object>>): void {
  process.on('message', (message: { type: string }) => {
    const handler = handlers[message.type];
    if (!handler) return;
    handler(message).then(
      (reply) => process.send!({ ...reply, type: message.type }),
      (error: unknown) => process.send!({ type: message.type, error: String((error as Error)?.stack ?? error) }),
    );
  });
  // The parent gone (killed, crashed): nothing to report to.
  process.on('disconnect', () => process.exit(0));
}
