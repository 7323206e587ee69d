// The same checks in a consumer with TC39 standard decorators (no experimentalDecorators).
// Type-checked by scripts/compat/run.sh; never run.
import OpenAI from 'openai';
import { RetryOpenAI, RetryNetwork } from 'llm-resilience';

export class StandardAgent {
  private readonly client = new OpenAI({ apiKey: 'sk-test', maxRetries: 0 });

  @RetryOpenAI({ maxAttempts: 3 })
  async ask(question: string): Promise<string> {
    const completion = await this.client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: question }],
    });
    return completion.choices[0]?.message.content ?? '';
  }

  @RetryNetwork()
  async ping(url: string): Promise<number> {
    return (await fetch(url)).status;
  }
}
