using System.Text;
using Microsoft.Win32.SafeHandles;

namespace StaticHostApp.Logging;

/// <summary>
/// One access log file: whole lines gathered in memory and written to the file in batches, each batch with one
/// positional write at the file's current end. A file never ends in part of a line: when a write stops short (the
/// disk filled up in the middle of the batch), the file is cut back to the last whole line written and the lines
/// that did not fit are reported as dropped. After a failure the file is closed and opened again by name for the
/// next batch, so writing resumes by itself once the disk has room (or the directory is back).
/// </summary>
/// <remarks>
/// The batch is written at the file's length, read just before (one fstat), rather than through <c>O_APPEND</c>: the
/// length is what tells how much of a failed write landed. This process is the file's only writer; a rotation that
/// copies and truncates the file (logrotate's <c>copytruncate</c>) is followed as well, since the next batch goes to
/// the new end. Only the access log's single writer uses an instance.
/// </remarks>
internal sealed class RequestLogFile : IDisposable
{
    /// <summary>A batch is written once this many bytes are pending, whatever the flush interval says.</summary>
    public const int BatchBytes = 64 * 1024;

    private readonly string _path;
    private readonly MemoryStream _pending = new();
    private readonly StreamWriter _text;
    private int _pendingLines;
    private SafeFileHandle? _handle;

    /// <summary>Creates the file's writer; nothing is opened until the first batch is written.</summary>
    public RequestLogFile(string path, Encoding encoding)
    {
        _path = path;
        _text = new StreamWriter(_pending, encoding, bufferSize: 4096, leaveOpen: true);
    }

    /// <summary>Where the next line is formatted; call <see cref="EndLine"/> after each whole line.</summary>
    public TextWriter Line => _text;

    /// <summary>Counts a whole line formatted into <see cref="Line"/>; true when a batch is due.</summary>
    public bool EndLine()
    {
        _text.Flush(); // the encoded bytes join the batch; no system call
        _pendingLines++;
        return _pending.Length >= BatchBytes;
    }

    /// <summary>Writes the pending lines; returns how many reached the file, how many were dropped, and why.</summary>
    public BatchOutcome WriteBatch()
    {
        if (_pendingLines == 0)
        {
            return default;
        }

        var lines = _pendingLines;
        var bytes = new ReadOnlySpan<byte>(_pending.GetBuffer(), 0, (int)_pending.Length);
        long start = -1;
        try
        {
            _handle ??= Open(_path);
            start = RandomAccess.GetLength(_handle);
            RandomAccess.Write(_handle, bytes, start);
            return new BatchOutcome(lines, 0, null);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            var kept = start >= 0 ? KeepWholeLines(bytes, start) : 0;
            CloseHandle();
            return new BatchOutcome(kept, lines - kept, exception);
        }
        finally
        {
            _pending.SetLength(0);
            _pendingLines = 0;
        }
    }

    /// <summary>Writes what is pending and closes the file; the next batch opens it again by name.</summary>
    public BatchOutcome Close()
    {
        var outcome = WriteBatch();
        CloseHandle();
        return outcome;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        CloseHandle();
        _text.Dispose();
        _pending.Dispose();
    }

    private static SafeFileHandle Open(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>
    /// After a failed write that began at <paramref name="start"/>: cuts the file back to the end of the last whole
    /// line that landed, and returns how many whole lines that is.
    /// </summary>
    private int KeepWholeLines(ReadOnlySpan<byte> batch, long start)
    {
        long landed;
        try
        {
            landed = RandomAccess.GetLength(_handle!) - start;
        }
        catch (IOException)
        {
            return 0;
        }

        if (landed <= 0)
        {
            return 0;
        }

        var written = batch[..(int)Math.Min(landed, batch.Length)];
        var whole = written.LastIndexOf((byte)'\n') + 1;
        if (whole < landed)
        {
            try
            {
                RandomAccess.SetLength(_handle!, start + whole);
            }
            catch (IOException)
            {
                // The partial line stays; nothing else can be done about it from here.
            }
        }

        return written[..whole].Count((byte)'\n');
    }

    private void CloseHandle()
    {
        _handle?.Dispose();
        _handle = null;
    }
}

/// <summary>What became of a batch of lines.</summary>
/// <param name="Written">Lines now in the file.</param>
/// <param name="Dropped">Lines that could not be written and are gone.</param>
/// <param name="Error">Why, when lines were dropped.</param>
internal readonly record struct BatchOutcome(int Written, int Dropped, Exception? Error);
