// The handlers of LOCAL_ROUTES: thin — validate (schemas), call the engine, answer. One line each
// where possible; the engine owns every decision. Secret fields reach the engine as the SecretText
// the edge lifted (secretBody), never as strings.
import type { Static } from 'typebox';
import {
  ActionResponseSchema,
  ConnectRequestSchema,
  DeviceInfoSchema,
  DiagnosticsQuerySchema,
  DiagnosticsResponseSchema,
  EnrollConfirmRequestSchema,
  EnrollRequestSchema,
  EnrollResponseSchema,
  KillSwitchInfoSchema,
  KillSwitchRequestSchema,
  LOCAL_API_VERSION,
  LoginRequestSchema,
  LoginResponseSchema,
  LogsQuerySchema,
  OtpRequestSchema,
  OtpResponseSchema,
  PasswordRequestSchema,
  PreflightResponseSchema,
  StatusSchema,
  VersionResponseSchema,
} from '../../core/api/local.js';
import { connect } from '../engine/connect.js';
import type { Engine } from '../engine/engine.js';
import { enroll, enrollConfirm } from '../engine/enroll.js';
import { changePassword, login, otp } from '../engine/login.js';
import type { DaemonLog } from '../log/daemon-log.js';
import type { DaemonMetrics } from './metrics.js';
import type { RouteTable } from './route-table.js';
import { withSecretBody } from './secret-fields.js';
import type { StreamRegistry } from './streams.js';

const ok = (schema: object) => ({ 200: schema });

export function registerRoutes(
  table: RouteTable,
  engine: Engine,
  log: DaemonLog,
  streams: StreamRegistry,
  daemonVersion: string,
  metrics: DaemonMetrics,
): void {
  table.register('status', { response: ok(StatusSchema) }, async () => engine.getStatus());

  table.register('watch', {}, async (_request, reply) => {
    streams.ndjson(reply, (write) => {
      write(engine.getStatus());
      return engine.status.subscribe(write);
    });
  });

  table.register('version', { response: ok(VersionResponseSchema) }, async () => ({
    v: LOCAL_API_VERSION,
    daemon_version: daemonVersion,
    local_api_version: LOCAL_API_VERSION,
  }));

  table.register('device', { response: ok(DeviceInfoSchema) }, async () => engine.device());

  table.register('preflight', { response: ok(PreflightResponseSchema) }, async () => {
    const checks = await engine.runPreflight();
    return { v: LOCAL_API_VERSION, ok: checks.every((c) => c.ok), checks };
  });

  table.register(
    'diagnostics',
    { querystring: DiagnosticsQuerySchema, response: ok(DiagnosticsResponseSchema) },
    async (request) =>
      engine.runDiagnostics((request.query as Static<typeof DiagnosticsQuerySchema>).addresses === '1'),
  );

  table.register('logs', { querystring: LogsQuerySchema }, async (request, reply) => {
    const q = request.query as Static<typeof LogsQuerySchema>;
    streams.ndjson(reply, (write) => {
      for (const line of log.tail(q.lines === undefined ? undefined : Number(q.lines))) write(line);
      return q.follow === '1' ? log.subscribe(write) : null;
    });
  });

  table.register('metrics', {}, async (_request, reply) => {
    const text = await metrics.render();
    void reply.header('content-type', metrics.contentType);
    return text;
  });

  table.register(
    'enroll',
    { body: EnrollRequestSchema, response: ok(EnrollResponseSchema) },
    async (request) =>
      withSecretBody<Static<typeof EnrollRequestSchema>, Awaited<ReturnType<typeof enroll>>>(
        request,
        (body) => engine.exclusive('enroll', () => enroll(engine, body)),
      ),
  );

  table.register(
    'enrollConfirm',
    { body: EnrollConfirmRequestSchema, response: ok(EnrollResponseSchema) },
    async (request) =>
      withSecretBody<Static<typeof EnrollConfirmRequestSchema>, Awaited<ReturnType<typeof enrollConfirm>>>(
        request,
        (body) => engine.exclusive('enroll', () => enrollConfirm(engine, body)),
      ),
  );

  table.register('login', { body: LoginRequestSchema, response: ok(LoginResponseSchema) }, async (request) =>
    withSecretBody<Static<typeof LoginRequestSchema>, Awaited<ReturnType<typeof login>>>(request, (body) =>
      engine.exclusive('login', () => login(engine, body)),
    ),
  );

  table.register('otp', { body: OtpRequestSchema, response: ok(OtpResponseSchema) }, async (request) =>
    withSecretBody<Static<typeof OtpRequestSchema>, Awaited<ReturnType<typeof otp>>>(request, (body) =>
      engine.exclusive('otp', () => otp(engine, body)),
    ),
  );

  table.register(
    'password',
    { body: PasswordRequestSchema, response: ok(ActionResponseSchema) },
    async (request) =>
      withSecretBody<Static<typeof PasswordRequestSchema>, Awaited<ReturnType<typeof changePassword>>>(
        request,
        (body) => engine.exclusive('password', () => changePassword(engine, body)),
      ),
  );

  table.register('connect', { body: ConnectRequestSchema, response: ok(ActionResponseSchema) }, async () =>
    engine.exclusive('connect', () => connect(engine)),
  );

  table.register('disconnect', { body: ConnectRequestSchema, response: ok(ActionResponseSchema) }, async () =>
    engine.disconnect(),
  );

  table.register('killSwitch', { response: ok(KillSwitchInfoSchema) }, async () => engine.killSwitchInfo());

  table.register(
    'setKillSwitch',
    { body: KillSwitchRequestSchema, response: ok(KillSwitchInfoSchema) },
    async (request) => engine.setKillSwitch(request.body as Static<typeof KillSwitchRequestSchema>),
  );
}
