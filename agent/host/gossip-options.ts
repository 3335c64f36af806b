/**
 * How gossipsub is tuned for a fleet: a private network (pnet: only holders of the fleet key connect) in
 * which peer exchange connects every agent to every other (a full mesh). Gossipsub's defaults are made
 * for large public networks, where neither holds; measured with agents as processes on one machine
 * (issue 18, INTERNALS.md §5):
 *
 * - **No IP colocation penalty.** By default a peer loses 5 × (peers on its IP − 10)² points once more
 *   than 10 peers share one IP, a sybil defence. Agents do share IPs (several on one host, behind one NAT,
 *   in containers). With 30 on one machine every peer scored −1805, far below the graylist (−80): every
 *   agent ignored all gossip from everyone and listed only itself online (the debug log showed −5, −20,
 *   −45, −80 at 11–14 peers, then silence). Here the fleet key is the admission control; the behaviour
 *   penalty (P7) stays.
 * - **Flood, no mesh forwarding.** Publishing already floods to every connected subscriber
 *   (`floodPublish`, the default). On top of that the mesh (D = 6) made every receiver forward every
 *   message to its mesh peers: in a full mesh each agent received each message about 7 times (12 idle
 *   agents: 1,323 message RPCs in 20 s for ~200 distinct messages). Per-message cost (noise, pnet,
 *   yamux, protobuf) made idle CPU grow with the square of the fleet: ~6 % of a core per agent at 12
 *   agents, more than 2 cores in all at 30. With an empty mesh each message crosses each connection once.
 *   A peer we are not connected to still gets what it missed through the lazy IHAVE/IWANT gossip, and
 *   the ledger through anti-entropy.
 * - **Lazy gossip to 2 peers a second, not a quarter of them.** Each gossipsub heartbeat (1 s) sends, per
 *   topic, the ids of the last 3 s of messages (46 bytes each) to max(Dlazy, gossipFactor × peers)
 *   peers: 7 of 29 at 30 agents, the largest part of an idle agent's traffic once forwarding stopped.
 *   Every agent holding a message offers it to 2 random peers a second, so an agent that missed it
 *   still hears of it within about a second from the others (in a line A–B–C, B offers to both).
 */
export const FLEET_GOSSIP = {
  floodPublish: true,
  D: 0,
  Dlo: 0,
  Dhi: 0,
  Dout: 0,
  Dscore: 0,
  Dlazy: 2,
  gossipFactor: 0,
  scoreParams: { IPColocationFactorWeight: 0 },
} as const
