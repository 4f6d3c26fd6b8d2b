// Connected: the session (gateway, tunnel address, since/until), live traffic and the timings, and
// the steps all done up to "OVPN up".
import { Box, Text } from 'ink';
import { connectSteps, type Status } from '../../core/localclient/index.js';
import { StepList } from '../components/StepList.js';
import { TrafficPane } from '../components/TrafficPane.js';
import { useNow } from '../hooks/useNow.js';

export function ConnectedScreen({ status, now }: { readonly status: Status; readonly now?: number }) {
  const ticking = useNow(now === undefined);
  const x = status.session;
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold color="green">
        Connected{x ? ` via ${x.gateway_fqdn}` : ''}
      </Text>
      {x ? (
        <Box flexDirection="column">
          <Text>Tunnel address: {x.virtual_ip ?? '-'}</Text>
          <Text>
            Since {x.connected_at ?? '-'} · session expires {x.expires_at}
          </Text>
        </Box>
      ) : null}
      <TrafficPane traffic={status.traffic} timings={status.timings} now={now ?? ticking} />
      <StepList steps={connectSteps(status)} />
    </Box>
  );
}
