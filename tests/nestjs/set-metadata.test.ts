import 'reflect-metadata';
import {
  CanActivate,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Body,
  RequestMethod,
  SetMetadata,
  UseGuards,
  UseInterceptors,
  NestInterceptor,
} from '@nestjs/common';
import {
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants';
import { AuthenticationError, InternalServerError } from 'openai';
import { configureResilience, resetResilience, RetryNetwork, RetryOpenAI } from '../../src';
import { createTestLogger } from '../support/test-logger';

// Legacy (experimentalDecorators + emitDecoratorMetadata) only: NestJS's decorators.
// Nest keeps handler metadata on the method FUNCTION (which a retry decorator replaces)
// and `design:*` metadata on (prototype, key). Both must survive, in either order.

class AdminGuard implements CanActivate {
  canActivate() {
    return true;
  }
}
class AuditGuard implements CanActivate {
  canActivate() {
    return true;
  }
}
class TimingInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: { handle(): unknown }) {
    return next.handle() as never;
  }
}
class CreateItemDto {
  name = '';
}

const serverError = () => new InternalServerError(503, { message: 'overloaded' }, undefined, new Headers());
const authError = () => new AuthenticationError(401, { message: 'bad key' }, undefined, new Headers());

/** Fails with the given errors in turn, then resolves with `value`. */
function script(failures: unknown[], value: string) {
  let calls = 0;
  return jest.fn(async () => {
    const failure = failures[calls++];
    if (failure !== undefined) throw failure;
    return value;
  });
}

/** Every reflect-metadata key/value stored on a function (own and inherited). */
function metadataOf(fn: object): Record<string, unknown> {
  return Object.fromEntries(Reflect.getMetadataKeys(fn).map((key) => [String(key), Reflect.getMetadata(key, fn)]));
}

let log: ReturnType<typeof createTestLogger>;
beforeEach(() => {
  resetResilience();
  log = createTestLogger();
  // Full jitter with random 0: every backoff is 0 ms, so retries are immediate on real timers.
  configureResilience({ logger: log.logger, random: () => 0 });
});
afterEach(() => resetResilience());

describe('@SetMetadata with @RetryOpenAI', () => {
  let body: jest.Mock;
  beforeEach(() => {
    body = jest.fn(async (id: string) => id);
  });

  class SetMetadataAbove {
    @SetMetadata('roles', ['admin'])
    @SetMetadata('isPublic', false)
    @RetryOpenAI()
    async handle(id: string) {
      return body(id);
    }
  }

  class SetMetadataBelow {
    @RetryOpenAI()
    @SetMetadata('roles', ['admin'])
    @SetMetadata('isPublic', false)
    async handle(id: string) {
      return body(id);
    }
  }

  class SetMetadataAround {
    @SetMetadata('roles', ['admin'])
    @RetryOpenAI()
    @SetMetadata('isPublic', false)
    async handle(id: string) {
      return body(id);
    }
  }

  const ORDERS = [
    ['above the retry decorator (applied after it)', SetMetadataAbove],
    ['below the retry decorator (applied before it)', SetMetadataBelow],
    ['on both sides', SetMetadataAround],
  ] as const;

  it.each(ORDERS)('metadata %s is read back from Controller.prototype.method', (_name, Controller) => {
    const handler = Controller.prototype.handle;
    expect(Reflect.getMetadata('roles', handler)).toEqual(['admin']);
    expect(Reflect.getMetadata('isPublic', handler)).toBe(false);
    expect(Reflect.getOwnMetadata('roles', handler)).toEqual(['admin']);
    expect(Reflect.hasOwnMetadata('isPublic', handler)).toBe(true);
  });

  it.each(ORDERS)('with metadata %s the method keeps name and length, works and retries', async (_name, Controller) => {
    const handler = Controller.prototype.handle;
    expect(handler.name).toBe('handle');
    expect(handler.length).toBe(1);
    await expect(new Controller().handle('a')).resolves.toBe('a');
    body.mockRejectedValueOnce(serverError());
    await expect(new Controller().handle('b')).resolves.toBe('b');
    expect(body).toHaveBeenCalledTimes(3);
    expect(log.at('warn')).toHaveLength(1);
  });
});

describe('a NestJS controller with route, guard, interceptor and custom metadata', () => {
  let upstream: jest.Mock;

  // The same controller with and without the retry decorator, in both positions.
  @Controller('items')
  class Plain {
    prefix = 'item';
    @Get(':id')
    @HttpCode(202)
    @Header('x-cache', 'none')
    @UseGuards(AdminGuard)
    @UseInterceptors(TimingInterceptor)
    @UseGuards(AuditGuard)
    @SetMetadata('roles', ['admin', 'ops'])
    async find(@Param('id') id: string, attempt: number): Promise<string> {
      return `${this.prefix}:${id}:${attempt}:${await upstream()}`;
    }

    @Post()
    @SetMetadata('roles', ['writer'])
    async create(@Body() dto: CreateItemDto): Promise<CreateItemDto> {
      await upstream();
      return dto;
    }
  }

  @Controller('items')
  class RetryOnTop {
    prefix = 'item';
    @RetryOpenAI()
    @Get(':id')
    @HttpCode(202)
    @Header('x-cache', 'none')
    @UseGuards(AdminGuard)
    @UseInterceptors(TimingInterceptor)
    @UseGuards(AuditGuard)
    @SetMetadata('roles', ['admin', 'ops'])
    async find(@Param('id') id: string, attempt: number): Promise<string> {
      return `${this.prefix}:${id}:${attempt}:${await upstream()}`;
    }

    @RetryOpenAI()
    @Post()
    @SetMetadata('roles', ['writer'])
    async create(@Body() dto: CreateItemDto): Promise<CreateItemDto> {
      await upstream();
      return dto;
    }
  }

  @Controller('items')
  class RetryInTheMiddle {
    prefix = 'item';
    @Get(':id')
    @HttpCode(202)
    @Header('x-cache', 'none')
    @UseGuards(AdminGuard)
    @RetryOpenAI()
    @UseInterceptors(TimingInterceptor)
    @UseGuards(AuditGuard)
    @SetMetadata('roles', ['admin', 'ops'])
    async find(@Param('id') id: string, attempt: number): Promise<string> {
      return `${this.prefix}:${id}:${attempt}:${await upstream()}`;
    }

    @Post()
    @RetryOpenAI()
    @SetMetadata('roles', ['writer'])
    async create(@Body() dto: CreateItemDto): Promise<CreateItemDto> {
      await upstream();
      return dto;
    }
  }

  @Controller('items')
  class RetryAtTheBottom {
    prefix = 'item';
    @Get(':id')
    @HttpCode(202)
    @Header('x-cache', 'none')
    @UseGuards(AdminGuard)
    @UseInterceptors(TimingInterceptor)
    @UseGuards(AuditGuard)
    @SetMetadata('roles', ['admin', 'ops'])
    @RetryOpenAI()
    async find(@Param('id') id: string, attempt: number): Promise<string> {
      return `${this.prefix}:${id}:${attempt}:${await upstream()}`;
    }

    @Post()
    @SetMetadata('roles', ['writer'])
    @RetryOpenAI()
    async create(@Body() dto: CreateItemDto): Promise<CreateItemDto> {
      await upstream();
      return dto;
    }
  }

  const DECORATED = [
    ['on top', RetryOnTop],
    ['in the middle', RetryInTheMiddle],
    ['at the bottom', RetryAtTheBottom],
  ] as const;

  beforeEach(() => {
    upstream = jest.fn(async () => 'ok');
  });

  it('the undecorated twin has the metadata this suite expects (sanity check of the fixture)', () => {
    const find = Plain.prototype.find;
    expect(Reflect.getMetadata(PATH_METADATA, find)).toBe(':id');
    expect(Reflect.getMetadata(METHOD_METADATA, find)).toBe(RequestMethod.GET);
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, find)).toBe(202);
    expect(Reflect.getMetadata(HEADERS_METADATA, find)).toEqual([{ name: 'x-cache', value: 'none' }]);
    expect(Reflect.getMetadata(GUARDS_METADATA, find)).toEqual([AuditGuard, AdminGuard]);
    expect(Reflect.getMetadata(INTERCEPTORS_METADATA, find)).toEqual([TimingInterceptor]);
    expect(Reflect.getMetadata('roles', find)).toEqual(['admin', 'ops']);
    expect(Reflect.getMetadata('design:paramtypes', Plain.prototype, 'find')).toEqual([String, Number]);
    expect(Reflect.getMetadata('design:returntype', Plain.prototype, 'find')).toBe(Promise);
  });

  describe.each(DECORATED)('with @RetryOpenAI() %s', (_position, Decorated) => {
    it.each(['find', 'create'] as const)(
      '%s: every metadata key on the handler equals the undecorated one',
      (method) => {
        const expected = metadataOf(Plain.prototype[method]);
        expect(Object.keys(expected).length).toBeGreaterThanOrEqual(3);
        expect(metadataOf(Decorated.prototype[method])).toEqual(expected);
      },
    );

    it('route, HTTP code, headers, guards (in order), interceptors and custom metadata survive', () => {
      const find = Decorated.prototype.find;
      expect(Reflect.getMetadata(PATH_METADATA, find)).toBe(':id');
      expect(Reflect.getMetadata(METHOD_METADATA, find)).toBe(RequestMethod.GET);
      expect(Reflect.getMetadata(HTTP_CODE_METADATA, find)).toBe(202);
      expect(Reflect.getMetadata(HEADERS_METADATA, find)).toEqual([{ name: 'x-cache', value: 'none' }]);
      expect(Reflect.getMetadata(GUARDS_METADATA, find)).toEqual([AuditGuard, AdminGuard]);
      expect(Reflect.getMetadata(INTERCEPTORS_METADATA, find)).toEqual([TimingInterceptor]);
      expect(Reflect.getMetadata('roles', find)).toEqual(['admin', 'ops']);
      expect(Reflect.getMetadata(PATH_METADATA, Decorated.prototype.create)).toBe('/');
      expect(Reflect.getMetadata(METHOD_METADATA, Decorated.prototype.create)).toBe(RequestMethod.POST);
      expect(Reflect.getMetadata('roles', Decorated.prototype.create)).toEqual(['writer']);
    });

    it('class metadata and parameter metadata (@Param, @Body) survive', () => {
      expect(Reflect.getMetadata(PATH_METADATA, Decorated)).toBe('items');
      expect(Reflect.getMetadata(ROUTE_ARGS_METADATA, Decorated, 'find')).toEqual(
        Reflect.getMetadata(ROUTE_ARGS_METADATA, Plain, 'find'),
      );
      expect(Reflect.getMetadata(ROUTE_ARGS_METADATA, Decorated, 'create')).toEqual(
        Reflect.getMetadata(ROUTE_ARGS_METADATA, Plain, 'create'),
      );
      expect(Object.keys(Reflect.getMetadata(ROUTE_ARGS_METADATA, Decorated, 'find'))).toHaveLength(1);
    });

    it('design:type, design:paramtypes and design:returntype survive on (prototype, key)', () => {
      for (const method of ['find', 'create'] as const) {
        for (const key of ['design:type', 'design:paramtypes', 'design:returntype']) {
          expect(Reflect.getMetadata(key, Decorated.prototype, method)).toEqual(
            Reflect.getMetadata(key, Plain.prototype, method),
          );
        }
      }
      expect(Reflect.getMetadata('design:type', Decorated.prototype, 'find')).toBe(Function);
      expect(Reflect.getMetadata('design:paramtypes', Decorated.prototype, 'find')).toEqual([String, Number]);
      expect(Reflect.getMetadata('design:returntype', Decorated.prototype, 'find')).toBe(Promise);
      expect(Reflect.getMetadata('design:paramtypes', Decorated.prototype, 'create')).toEqual([CreateItemDto]);
    });

    it('the handler keeps its name and length', () => {
      expect(Decorated.prototype.find.name).toBe('find');
      expect(Decorated.prototype.find.length).toBe(2);
      expect(Decorated.prototype.create.name).toBe('create');
      expect(Decorated.prototype.create.length).toBe(1);
    });

    it('the handler still works and keeps `this`', async () => {
      await expect(new Decorated().find('42', 1)).resolves.toBe('item:42:1:ok');
      const dto = Object.assign(new CreateItemDto(), { name: 'n' });
      await expect(new Decorated().create(dto)).resolves.toBe(dto);
    });

    it('the handler retries a retryable OpenAI error and then resolves', async () => {
      upstream = script([serverError(), serverError()], 'recovered');
      await expect(new Decorated().find('7', 1)).resolves.toBe('item:7:1:recovered');
      expect(upstream).toHaveBeenCalledTimes(3);
      expect(log.at('warn')).toHaveLength(2);
    });

    it('the handler does not retry a 401', async () => {
      const error = authError();
      upstream = script([error], 'never');
      await expect(new Decorated().find('7', 1)).rejects.toBe(error);
      expect(upstream).toHaveBeenCalledTimes(1);
    });

    it('the handler rethrows the last error after maxAttempts (3)', async () => {
      const errors = [serverError(), serverError(), serverError()];
      upstream = script(errors, 'never');
      await expect(new Decorated().find('7', 1)).rejects.toBe(errors[2]);
      expect(upstream).toHaveBeenCalledTimes(3);
    });
  });
});

describe('metadata set later, on the wrapper, and on statics', () => {
  it('metadata defined on the decorated handler after class definition is readable (Nest Reflector style)', () => {
    class Late {
      @RetryNetwork()
      async run() {
        return 'ok';
      }
    }
    Reflect.defineMetadata('late', 1, Late.prototype.run);
    expect(Reflect.getMetadata('late', Late.prototype.run)).toBe(1);
  });

  it('a static handler keeps SetMetadata in both orders and still retries', async () => {
    let calls = 0;
    class Jobs {
      @SetMetadata('cron', '* * * * *')
      @RetryOpenAI({ maxAttempts: 2 })
      static async tick(): Promise<number> {
        if (++calls === 1) throw serverError();
        return calls;
      }

      @RetryOpenAI({ maxAttempts: 2 })
      @SetMetadata('cron', '0 * * * *')
      static async hourly(): Promise<string> {
        return 'hourly';
      }
    }
    expect(Reflect.getMetadata('cron', Jobs.tick)).toBe('* * * * *');
    expect(Reflect.getMetadata('cron', Jobs.hourly)).toBe('0 * * * *');
    expect(Reflect.getMetadata('design:returntype', Jobs, 'tick')).toBe(Promise);
    await expect(Jobs.tick()).resolves.toBe(2);
    await expect(Jobs.hourly()).resolves.toBe('hourly');
  });
});
