namespace AdherencePipeline.Recordings;

/// <summary>An append-only column that doubles as it grows and ends as an exactly sized array.</summary>
internal sealed class ColumnBuilder<T>
{
    private T[] _items;

    public ColumnBuilder(int capacity) => _items = new T[Math.Max(capacity, 16)];

    public int Count { get; private set; }

    public T this[int index] => _items[index];

    public void Add(T item)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[Count++] = item;
    }

    public T[] ToArray() => _items.AsSpan(0, Count).ToArray();

    public T[] ToArray(int start, int length) => _items.AsSpan(start, length).ToArray();
}
