using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Domain.Loop;

/// <summary>
/// Where conversations outlive the process: the agent's <c>agent_conversations</c> table
/// (<see cref="Data.ConversationArchive"/>). Saving is off the request path.
/// </summary>
public interface IConversationArchive
{
    /// <summary>Queues the plan to be written; never blocks and never throws.</summary>
    void Save(long clientId, string conversationId, QueryPlan plan, DateTimeOffset at);

    /// <summary>The stored plan if it was saved at or after <paramref name="notBefore"/>, else null.</summary>
    Task<QueryPlan?> LoadAsync(long clientId, string conversationId, DateTimeOffset notBefore, CancellationToken ct);
}

/// <summary>
/// The last plan of each conversation, keyed by (tenant, conversation id), so follow-ups refine it.
/// In memory and bounded (least recently used conversations are dropped beyond the capacity, idle
/// ones expire), and — with an <see cref="IConversationArchive"/> — written through to the
/// database, so a conversation the caller names is found again after a restart or on another
/// agent instance. A tenant can never read another tenant's conversation: the tenant is part of
/// the key, here and in the table.
/// </summary>
public sealed class ConversationStore(TimeProvider clock, int capacity, TimeSpan idleTimeout, IConversationArchive? archive = null)
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

    /// <summary>
    /// The conversation's last plan from memory, else from the archive when the caller named the
    /// conversation (an id the agent just made up cannot be stored anywhere yet).
    /// </summary>
    public async ValueTask<QueryPlan?> GetAsync(long clientId, string conversationId, bool named, CancellationToken ct)
    {
        if (Get(clientId, conversationId) is { } plan)
        {
            return plan;
        }
        if (!named || archive is null)
        {
            return null;
        }
        plan = await archive.LoadAsync(clientId, conversationId, clock.GetUtcNow() - idleTimeout, ct);
        if (plan is not null)
        {
            Remember(clientId, conversationId, plan);
        }
        return plan;
    }

    public void Set(long clientId, string conversationId, QueryPlan plan)
    {
        var at = Remember(clientId, conversationId, plan);
        archive?.Save(clientId, conversationId, plan, at);
    }

    private DateTimeOffset Remember(long clientId, string conversationId, QueryPlan plan)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            var key = (clientId, conversationId);
            if (_map.TryGetValue(key, out var existing))
            {
                _lru.Remove(existing);
            }
            var node = _lru.AddFirst(new Entry(key, plan, now));
            _map[key] = node;
            while (_map.Count > capacity && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
            }
        }
        return now;
    }
}
