import 'reflect-metadata';
import {
  CallHandler,
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  HttpCode,
  Injectable,
  NestInterceptor,
  Post,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { InternalServerError } from 'openai';
import { map, Observable } from 'rxjs';
import { RetryOpenAI } from '../../src';
import { ResilienceModule } from '../../src/integrations/nestjs';
import { createTestLogger } from '../support/test-logger';
import { cleanUp, compile, immediateRetries, post, startApp } from './nest-harness';

// Our decorator replaces the method; Nest keeps route, guard, interceptor, @Cron and
// @OnEvent metadata on the method function. Each case runs with our decorator below the
// Nest decorators (applied first) and above them (applied last), through Nest itself.

const overloaded = () => new InternalServerError(503, { message: 'overloaded' }, undefined, new Headers());

/** Fails once with a retryable 503, then succeeds: a retry happened iff calls === 2. */
class Flaky {
  calls = 0;
  run<T>(value: T): T {
    if (++this.calls === 1) throw overloaded();
    return value;
  }
}

let guardCalls = 0;
@Injectable()
class CountingGuard implements CanActivate {
  canActivate(): boolean {
    guardCalls++;
    return true;
  }
}
@Injectable()
class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}
@Injectable()
class WrapInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data) => ({ wrapped: data })));
  }
}

@Controller('routes')
class RoutesController {
  readonly below = new Flaky();
  readonly above = new Flaky();
  readonly deniedCalls = new Flaky();

  @Post('below')
  @HttpCode(202)
  @UseGuards(CountingGuard)
  @UseInterceptors(WrapInterceptor)
  @RetryOpenAI()
  async ourDecoratorBelow(): Promise<string> {
    return this.below.run('below');
  }

  @RetryOpenAI()
  @Post('above')
  @HttpCode(202)
  @UseGuards(CountingGuard)
  @UseInterceptors(WrapInterceptor)
  async ourDecoratorAbove(): Promise<string> {
    return this.above.run('above');
  }

  @RetryOpenAI()
  @Get('denied')
  @UseGuards(DenyGuard)
  async denied(): Promise<string> {
    return this.deniedCalls.run('never');
  }
}

@Injectable()
class Jobs {
  readonly below = new Flaky();
  readonly above = new Flaky();

  // waitForCompletion: fireOnTick() then awaits the (retried) tick.
  @Cron('0 0 3 * * *', { name: 'below', waitForCompletion: true })
  @RetryOpenAI()
  async nightlyBelow(): Promise<void> {
    this.below.run(undefined);
  }

  @RetryOpenAI()
  @Cron('0 0 4 * * *', { name: 'above', waitForCompletion: true })
  async nightlyAbove(): Promise<void> {
    this.above.run(undefined);
  }
}

@Injectable()
class Listeners {
  readonly below = new Flaky();
  readonly above = new Flaky();

  @OnEvent('order.created')
  @RetryOpenAI()
  async onCreatedBelow(order: { id: string }): Promise<string> {
    return this.below.run(order.id);
  }

  @RetryOpenAI()
  @OnEvent('order.created')
  async onCreatedAbove(order: { id: string }): Promise<string> {
    return this.above.run(order.id);
  }
}

beforeEach(immediateRetries);
afterEach(cleanUp);

const resilience = () => ResilienceModule.forRoot({ logger: createTestLogger().logger });

describe('route metadata: @Post, @HttpCode, @UseGuards, @UseInterceptors', () => {
  it.each(['below', 'above'] as const)(
    'with our decorator %s: routed, status code, guard and interceptor applied, and retried',
    async (order) => {
      guardCalls = 0;
      const { app, url } = await startApp({ imports: [resilience()], controllers: [RoutesController] });

      const response = await post(`${url}/routes/${order}`);

      expect(response).toMatchObject({ status: 202, body: { wrapped: order } });
      expect(guardCalls).toBe(1);
      expect(app.get(RoutesController)[order].calls).toBe(2);
    },
  );

  it('a guard that denies stops the call before the retrying method runs', async () => {
    const { app, url } = await startApp({ imports: [resilience()], controllers: [RoutesController] });
    const response = await fetch(`${url}/routes/denied`);
    expect(response.status).toBe(403);
    expect(app.get(RoutesController).deniedCalls.calls).toBe(0);
  });
});

describe('@Cron (from @nestjs/schedule)', () => {
  it.each(['below', 'above'] as const)(
    'with our decorator %s: the job is registered and its tick is retried',
    async (order) => {
      const moduleRef = await compile({ imports: [resilience(), ScheduleModule.forRoot()], providers: [Jobs] });
      await moduleRef.init();

      const job = moduleRef.get(SchedulerRegistry).getCronJob(order);
      expect(job.cronTime.source).toBe(order === 'below' ? '0 0 3 * * *' : '0 0 4 * * *');
      await job.fireOnTick();

      expect(moduleRef.get(Jobs)[order].calls).toBe(2);
    },
  );
});

describe('@OnEvent (from @nestjs/event-emitter)', () => {
  it('with our decorator below and above: both listeners are subscribed and retried', async () => {
    const moduleRef = await compile({ imports: [resilience(), EventEmitterModule.forRoot()], providers: [Listeners] });
    await moduleRef.init();

    const results = await moduleRef.get(EventEmitter2).emitAsync('order.created', { id: 'o-1' });

    expect(results).toEqual(['o-1', 'o-1']);
    expect(moduleRef.get(Listeners).below.calls).toBe(2);
    expect(moduleRef.get(Listeners).above.calls).toBe(2);
  });
});
