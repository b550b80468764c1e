namespace StaticHostApp.Files;

/// <summary>What a request path names inside a site, after confinement and permission checks.</summary>
internal enum PathAccess
{
    /// <summary>Nothing servable: missing, hidden, outside the root, or not a regular file or directory.</summary>
    NotFound,

    /// <summary>The file system refused access (EACCES/EPERM): the server may not read it or search a directory on the way.</summary>
    Forbidden,

    /// <summary>A readable regular file inside the root.</summary>
    File,

    /// <summary>A directory inside the root.</summary>
    Directory,
}
