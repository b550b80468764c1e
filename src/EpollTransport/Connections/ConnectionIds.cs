namespace EpollTransport.Connections;

/// <summary>Short, process-unique connection ids in the style of Kestrel's (13 base-32 characters).</summary>
internal static class ConnectionIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

    // Seeded from the clock so ids differ between runs, as they do in Kestrel.
    private static long s_last = DateTime.UtcNow.Ticks;

    public static string Next()
    {
        long id = Interlocked.Increment(ref s_last);
        return string.Create(13, id, static (buffer, value) =>
        {
            for (int i = buffer.Length - 1; i >= 0; i--)
            {
                buffer[i] = Alphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }
}
