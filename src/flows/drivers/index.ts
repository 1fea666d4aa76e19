/** The driver of each sign-in kind, chosen by the kind a provider declares. */
import type { Provider } from '../../providers/types.js';
import { authorizationCodeDriver } from './authorizationCode.js';
import { detectDriver } from './detect.js';
import { deviceCodeDriver } from './deviceCode.js';
import type { BeginSignIn } from './driver.js';

export type { BeginSignIn, DriverRun, Obtained, Started } from './driver.js';
export { pollUntilDone, backoffSeconds, type PollObserver, type PollEnd } from './poller.js';

/** How `provider` is started and waited on. */
export function driverFor(provider: Provider): BeginSignIn {
  switch (provider.signIn) {
    case 'device_code':
      return deviceCodeDriver(provider);
    case 'authorization_code':
      return authorizationCodeDriver(provider);
    case 'detect':
      return detectDriver(provider);
  }
}
