// Binding the driver's UDP inputs (app datagrams, StatsD): the family follows the address, receive errors
// are per datagram and leave the socket bound, a bind error rejects and closes the socket.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export async function bindUdp(port: number, host: string, onMessage: (msg: Buffer, rinfo: RemoteInfo) => void): Promise<Socket> {
  const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  sock.on('message', onMessage);
  sock.on('error', () => {
    // Per-datagram receive errors leave the socket bound.
  });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    sock.close();
    throw err;
  }
  return sock;
}
