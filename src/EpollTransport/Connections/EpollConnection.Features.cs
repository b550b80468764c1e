using System.Collections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace EpollTransport.Connections;

/// <summary>
/// The connection is its own feature collection, as Kestrel's <c>TransportConnection</c> is: the transport's
/// features are the connection itself, found by a few type comparisons, and the few that Kestrel and connection
/// middleware add go into a short list. A dictionary per connection would cost far more memory than the
/// connection's own fields, and every idle connection would carry it.
/// </summary>
internal sealed partial class EpollConnection : IFeatureCollection,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature, IConnectionSendFileFeature
{
    private static readonly Type[] s_ownFeatures =
    [
        typeof(IConnectionIdFeature),
        typeof(IConnectionTransportFeature),
        typeof(IConnectionItemsFeature),
        typeof(IMemoryPoolFeature),
        typeof(IConnectionLifetimeFeature),
        typeof(IConnectionEndPointFeature),
        typeof(IConnectionSendFileFeature),
        typeof(IConnectionSocketFeature),
    ];

    // Features set on the collection, in the order set: others' features, and replacements (or removals, as null)
    // of the transport's own. Created on the first Set.
    private List<KeyValuePair<Type, object?>>? _setFeatures;
    private int _featureRevision;

    // Whether one of the transport's own features has been replaced or removed: until then they are looked up first.
    private bool _ownFeatureReplaced;

    public override IFeatureCollection Features => this;

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _featureRevision;

    object? IFeatureCollection.this[Type key]
    {
        get
        {
            if (!_ownFeatureReplaced && IsOwnFeature(key))
            {
                return this;
            }

            return FindSet(key) is int index ? _setFeatures![index].Value : IsOwnFeature(key) ? this : null;
        }

        set
        {
            ArgumentNullException.ThrowIfNull(key);
            _ownFeatureReplaced |= IsOwnFeature(key);
            var entry = new KeyValuePair<Type, object?>(key, value);
            if (FindSet(key) is int index)
            {
                _setFeatures![index] = entry;
            }
            else
            {
                (_setFeatures ??= new List<KeyValuePair<Type, object?>>(4)).Add(entry);
            }

            _featureRevision++;
        }
    }

    TFeature? IFeatureCollection.Get<TFeature>()
        where TFeature : default => (TFeature?)((IFeatureCollection)this)[typeof(TFeature)];

    void IFeatureCollection.Set<TFeature>(TFeature? instance)
        where TFeature : default => ((IFeatureCollection)this)[typeof(TFeature)] = instance;

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        foreach (var type in s_ownFeatures)
        {
            if (FindSet(type) is null)
            {
                yield return new KeyValuePair<Type, object>(type, this);
            }
        }

        foreach (var (type, feature) in _setFeatures ?? [])
        {
            if (feature is not null)
            {
                yield return new KeyValuePair<Type, object>(type, feature);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();

    private static bool IsOwnFeature(Type key) => Array.IndexOf(s_ownFeatures, key) >= 0;

    private int? FindSet(Type key)
    {
        if (_setFeatures is { } features)
        {
            for (int i = 0; i < features.Count; i++)
            {
                if (features[i].Key == key)
                {
                    return i;
                }
            }
        }

        return null;
    }
}
