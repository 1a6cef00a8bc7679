using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// The last plan of each conversation, keyed by (tenant, conversation id), so follow-ups refine it.
/// In memory and bounded: least recently used conversations are dropped beyond the capacity and
/// idle ones expire. A restart forgets conversations (documented in docs/agent.md); a tenant can
/// never read another tenant's conversation because the tenant is part of the key.
/// </summary>
public sealed class ConversationStore(TimeProvider clock, int capacity, TimeSpan idleTimeout)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(long, string), LinkedListNode<Entry>> _map = [];
    private readonly LinkedList<Entry> _lru = new();

    private sealed record Entry((long, string) Key, QueryPlan Plan, DateTimeOffset Touched);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _map.Count;
            }
        }
    }

    public QueryPlan? Get(long clientId, string conversationId)
    {
        lock (_gate)
        {
            if (!_map.TryGetValue((clientId, conversationId), out var node))
            {
                return null;
            }
            if (clock.GetUtcNow() - node.Value.Touched > idleTimeout)
            {
                _lru.Remove(node);
                _map.Remove(node.Value.Key);
                return null;
            }
            return node.Value.Plan;
        }
    }

    public void Set(long clientId, string conversationId, QueryPlan plan)
    {
        lock (_gate)
        {
            var key = (clientId, conversationId);
            if (_map.TryGetValue(key, out var existing))
            {
                _lru.Remove(existing);
            }
            var node = _lru.AddFirst(new Entry(key, plan, clock.GetUtcNow()));
            _map[key] = node;
            while (_map.Count > capacity && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
            }
        }
    }
}
